"""Deleting a queue moves every one of its tickets to another queue; nothing is orphaned."""

import pytest

from accounts.errors import AdminRequired
from accounts.tests.factories import AdminFactory, UserFactory
from core.exceptions import FieldValidationError
from tenants.tenancy import tenant_scope
from tickets.errors import QueueHasTickets, QueueInactive
from tickets.models import ConnectionRouting, Queue, Ticket, TicketEvent
from tickets.services.queues import queue_delete
from tickets.tests.factories import ConnectionFactory, QueueFactory, TicketFactory


def test_tickets_of_every_status_move_with_a_transfer_event_each(alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        agent = UserFactory()
        old, target = QueueFactory(name="Old"), QueueFactory(name="Target")
        old_id = old.pk
        old.members.set([agent])
        pending = TicketFactory(queue=old)
        opened = TicketFactory(queue=old, status=Ticket.Status.OPEN, assignee=agent)
        closed = TicketFactory(queue=old, status=Ticket.Status.CLOSED)
        elsewhere = TicketFactory(queue=target)

        moved = queue_delete(queue=old, move_to=target, by=admin)

        assert moved == 3
        assert not Queue.objects.filter(pk=old_id).exists()
        tickets = {t.pk: t for t in Ticket.objects.all()}
        assert {tickets[t.pk].queue_id for t in (pending, opened, closed, elsewhere)} == {target.pk}
        assert tickets[opened.pk].assignee_id == agent.pk
        events = list(TicketEvent.objects.filter(kind=TicketEvent.Kind.TRANSFERRED))
    assert {e.ticket_id for e in events} == {pending.pk, opened.pk, closed.pk}
    assert all(e.actor_id == admin.pk for e in events)
    by_ticket = {e.ticket_id: e.data for e in events}
    assert by_ticket[opened.pk]["from_queue"] == {"id": old_id, "name": "Old"}
    assert by_ticket[opened.pk]["to_queue"] == {"id": target.pk, "name": "Target"}
    assert by_ticket[opened.pk]["to_agent"]["id"] == agent.pk


def test_a_queue_with_tickets_and_no_target_is_refused_with_the_count(alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        TicketFactory(queue=queue)
        TicketFactory(queue=queue, status=Ticket.Status.CLOSED)

        with pytest.raises(QueueHasTickets) as refused:
            queue_delete(queue=queue, move_to=None, by=AdminFactory())

        assert Queue.objects.filter(pk=queue.pk).exists()
        assert Ticket.objects.filter(queue=queue).count() == 2
        assert not TicketEvent.objects.exists()
    assert (refused.value.http_status, refused.value.extra) == (409, {"tickets": 2})


def test_the_target_must_differ_and_be_active(alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        queue = QueueFactory()
        inactive = QueueFactory(is_active=False)
        ticket = TicketFactory(queue=queue)

        with pytest.raises(FieldValidationError) as same:
            queue_delete(queue=queue, move_to=queue, by=admin)
        with pytest.raises(QueueInactive):
            queue_delete(queue=queue, move_to=inactive, by=admin)

        ticket.refresh_from_db()
        assert ticket.queue_id == queue.pk
        assert Queue.objects.filter(pk=queue.pk).exists()
    assert set(same.value.extra["fields"]) == {"move_to"}


def test_an_empty_queue_is_deleted_and_connections_lose_it_as_default(alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        queue_id = queue.pk
        queue.members.set([UserFactory()])
        connection = ConnectionFactory(default_queue=queue)

        moved = queue_delete(queue=queue, move_to=None, by=AdminFactory())

        routing = ConnectionRouting.objects.get(connection=connection)
        assert moved == 0
        assert not Queue.objects.filter(pk=queue_id).exists()
        assert not Queue.members.through.objects.filter(queue_id=queue_id).exists()
        assert routing.default_queue_id is None


def test_an_agent_cannot_delete_a_queue(alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()

        with pytest.raises(AdminRequired):
            queue_delete(queue=queue, move_to=None, by=UserFactory())

        assert Queue.objects.filter(pk=queue.pk).exists()
