"""The retention policy: the dry run's figures equal the real run's, only old closed tickets
lose their content, contacts are erased only when asked and left with no other ticket."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from privacy.models import RetentionPolicy
from privacy.services import retention_apply, retention_policy_update, retention_preview
from privacy.services.erasure import erased_contact_name
from privacy.tasks import retention_apply_task
from privacy.tests.factories import seed_contact
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import MessageFactory, TicketFactory


def _age(ticket, days):
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.CLOSED, closed_at=timezone.now() - timedelta(days=days)
    )


def test_dry_run_equals_the_real_run_and_only_old_closed_tickets_go(alpha, beta):
    with tenant_scope(beta.tenant):
        far = seed_contact("zzretB")
        for ticket in far.tickets:
            _age(ticket, 400)
    with tenant_scope(alpha.tenant):
        old_only = seed_contact("zzret1")  # both tickets closed long ago: erased
        for ticket in old_only.tickets:
            _age(ticket, 400)
        mixed = seed_contact("zzret2")  # one old, one recent: anonymised, kept
        _age(mixed.tickets[0], 400)
        recent = TicketFactory(status=Ticket.Status.CLOSED, closed_at=timezone.now())
        MessageFactory(ticket=recent, body="recent conversation")

        assert retention_apply_task() == 0  # off by default
        policy = retention_policy_update(is_enabled=True, months=6, action="erase")
        preview = retention_preview(months=6, action="erase")
        assert (preview.tickets, preview.contacts) == (3, 1)

        outcome = retention_apply(policy=policy)
        assert (outcome.tickets, outcome.contacts) == (preview.tickets, preview.contacts)
        assert retention_preview(months=6, action="erase").tickets == 0  # nothing left to do
        assert not Message.objects.filter(ticket__in=old_only.tickets).exclude(body="").exists()
        old_only.contact.refresh_from_db()
        assert old_only.contact.name == erased_contact_name(old_only.contact.pk)
        mixed_name = mixed.contact.name
        mixed.contact.refresh_from_db()
        assert mixed.contact.name == mixed_name  # its waiting ticket keeps it
        assert mixed.contact.identities.count() == 2
        assert Message.objects.filter(ticket=mixed.tickets[1]).exclude(body="").exists()
        assert not Message.objects.filter(ticket=mixed.tickets[0]).exclude(body="").exists()
        assert Message.objects.get(ticket=recent).body == "recent conversation"
        policy.refresh_from_db()
        assert policy.last_run_tickets == 3
    with tenant_scope(beta.tenant):
        assert Message.objects.filter(ticket__in=far.tickets).exclude(body="").exists()


def test_anonymise_keeps_contacts_and_the_dry_run_matches(alpha):
    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzret3")
        for ticket in seeded.tickets:
            _age(ticket, 200)
        policy = RetentionPolicy.objects.create(is_enabled=True, months=3, action="anonymise")
        preview = retention_preview(months=3, action="anonymise")
        outcome = retention_apply(policy=policy)
        assert (preview.tickets, preview.contacts) == (outcome.tickets, outcome.contacts) == (2, 0)
        seeded.contact.refresh_from_db()
        assert seeded.contact.name != erased_contact_name(seeded.contact.pk)
        assert retention_apply_task() == 0  # done: nothing left
