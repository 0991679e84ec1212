"""The per-tenant auto-close job closes idle tickets through the real close service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from contacts.tests.factories import ContactFactory
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.models import Ticket, TicketEvent
from tickets.services.tickets import tickets_auto_close_due
from tickets.tasks import tickets_auto_close_task
from tickets.tests.factories import ConnectionFactory, TicketFactory


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        tenant_settings_update(tenant=alpha.tenant, values={"days_to_close": 3})
        yield alpha


def _ago(days):
    return timezone.now() - timedelta(days=days)


def test_only_idle_tickets_are_closed_with_a_timeline_entry(in_alpha):
    idle = TicketFactory(last_message_at=_ago(4))
    idle_open = TicketFactory(
        last_message_at=_ago(10), status=Ticket.Status.OPEN, assignee=UserFactory()
    )
    recent = TicketFactory(last_message_at=_ago(2))
    already = TicketFactory(status=Ticket.Status.CLOSED, last_message_at=_ago(30))

    assert tickets_auto_close_due() == 2

    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses[idle.pk] == statuses[idle_open.pk] == Ticket.Status.CLOSED
    assert statuses[recent.pk] == Ticket.Status.PENDING
    assert statuses[already.pk] == Ticket.Status.CLOSED
    event = TicketEvent.objects.get(ticket=idle)
    assert (event.kind, event.actor_id) == (TicketEvent.Kind.AUTO_CLOSED, None)
    idle.refresh_from_db()
    assert idle.closed_at is not None
    assert idle.closed_by_id is None


def test_a_ticket_without_messages_is_measured_from_its_opening(in_alpha):
    """A ticket opened without a message takes its opening time as its last activity."""
    old = Ticket.objects.create(
        protocol="P-OLD", contact=ContactFactory(), connection=ConnectionFactory()
    )
    # as if opened five days ago
    Ticket.objects.filter(pk=old.pk).update(created_at=_ago(5), last_message_at=_ago(5))
    fresh = Ticket.objects.create(
        protocol="P-NEW", contact=ContactFactory(), connection=ConnectionFactory()
    )
    assert abs(fresh.last_message_at - fresh.created_at) < timedelta(seconds=1)

    assert tickets_auto_close_due() == 1
    fresh.refresh_from_db()
    assert fresh.status == Ticket.Status.PENDING


def test_running_twice_closes_nothing_twice(in_alpha):
    TicketFactory(last_message_at=_ago(4))
    assert tickets_auto_close_due() == 1
    assert tickets_auto_close_due() == 0
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.AUTO_CLOSED).count() == 1


def test_an_empty_days_to_close_disables_it(in_alpha):
    tenant_settings_update(tenant=in_alpha.tenant, values={"days_to_close": None})
    ticket = TicketFactory(last_message_at=_ago(400))
    assert tickets_auto_close_due() == 0
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING


def test_the_beat_task_runs_the_service_in_the_current_tenant(in_alpha):
    TicketFactory(last_message_at=_ago(4))
    assert tickets_auto_close_task.apply().get() == 1


def test_another_tenants_setting_does_not_apply_here(in_alpha, beta):
    with tenant_scope(beta.tenant):
        ticket = TicketFactory(last_message_at=_ago(4))  # beta keeps the default of 7 days
        assert tickets_auto_close_due() == 0
        ticket.refresh_from_db()
        assert ticket.status == Ticket.Status.PENDING
