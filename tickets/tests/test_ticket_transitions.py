"""The ticket state machine: every transition allowed or refused, who may trigger it, and the
timeline entry each one writes."""

import pytest
from django.utils import timezone

from accounts.errors import AdminRequired
from accounts.tests.factories import AdminFactory, UserFactory
from contacts.tests.factories import ContactFactory, TagFactory
from core.exceptions import FieldValidationError
from tenants.tenancy import tenant_scope
from tickets.errors import (
    ActiveTicketExists,
    AgentInactive,
    AgentNotInQueue,
    ContactBlocked,
    InvalidTicketTransition,
    NothingToTransfer,
    TicketActionForbidden,
    TicketAlreadyAccepted,
    TicketNotClosed,
    TicketNotFound,
)
from tickets.models import Ticket, TicketEvent
from tickets.services.tickets import (
    ticket_accept,
    ticket_close,
    ticket_create_outbound,
    ticket_mark_read,
    ticket_reopen,
    ticket_restore,
    ticket_return_to_queue,
    ticket_soft_delete,
    ticket_tags_set,
    ticket_transfer,
)
from tickets.tests.factories import ConnectionFactory, QueueFactory, TicketFactory

Kind = TicketEvent.Kind


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


@pytest.fixture
def queue(in_alpha):
    return QueueFactory()


@pytest.fixture
def agent(queue):
    return UserFactory(queues=[queue])


def _kinds(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


# ------------------------------------------------------------------ accept


def test_accepting_a_pending_ticket_opens_it_for_the_agent(agent, queue):
    ticket = TicketFactory(queue=queue)

    ticket_accept(ticket=ticket, by=agent)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (Ticket.Status.OPEN, agent.pk)
    assert ticket.accepted_at is not None
    assert _kinds(ticket) == [Kind.ACCEPTED]
    assert TicketEvent.objects.get(ticket=ticket).actor_id == agent.pk


def test_accepting_an_open_ticket_answers_already_accepted(agent, queue):
    other = UserFactory(queues=[queue])
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=other)

    with pytest.raises(TicketAlreadyAccepted):
        ticket_accept(ticket=ticket, by=agent)
    ticket.refresh_from_db()
    assert ticket.assignee_id == other.pk


def test_accepting_a_closed_ticket_is_an_invalid_transition(agent, queue):
    ticket = TicketFactory(queue=queue, status=Ticket.Status.CLOSED)
    with pytest.raises(InvalidTicketTransition):
        ticket_accept(ticket=ticket, by=agent)


def test_an_agent_cannot_accept_a_pending_ticket_reserved_for_another_agent(agent, queue):
    other = UserFactory(queues=[queue])
    ticket = TicketFactory(queue=queue, assignee=other)
    with pytest.raises(TicketActionForbidden):
        ticket_accept(ticket=ticket, by=agent)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING


def test_an_admin_can_accept_a_ticket_reserved_for_another_agent(agent, queue):
    admin = AdminFactory()
    ticket = TicketFactory(queue=queue, assignee=agent)
    ticket_accept(ticket=ticket, by=admin)
    assert ticket.assignee_id == admin.pk


def test_an_agent_cannot_accept_a_ticket_of_a_queue_they_are_not_in(agent):
    ticket = TicketFactory(queue=QueueFactory())
    with pytest.raises(TicketNotFound):
        ticket_accept(ticket=ticket, by=agent)


# ------------------------------------------------------------------ transfer


def test_transfer_to_an_agent_of_the_queue_keeps_it_open_with_the_new_assignee(agent, queue):
    colleague = UserFactory(queues=[queue])
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)

    ticket_transfer(ticket=ticket, by=agent, to_agent=colleague, note="  VIP  ")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (Ticket.Status.OPEN, colleague.pk)
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.kind == Kind.TRANSFERRED
    assert event.data["from_agent"]["id"] == agent.pk
    assert event.data["to_agent"]["id"] == colleague.pk
    assert event.data["note"] == "VIP"


def test_transfer_to_a_queue_without_agent_makes_it_pending_and_unassigned(agent, queue):
    sales = QueueFactory()
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)

    ticket_transfer(ticket=ticket, by=agent, to_queue=sales)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id, ticket.queue_id) == (
        Ticket.Status.PENDING,
        None,
        sales.pk,
    )


def test_transfer_to_an_agent_outside_the_target_queue_is_refused(agent, queue):
    sales = QueueFactory()
    outsider = UserFactory(queues=[queue])
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)

    with pytest.raises(AgentNotInQueue):
        ticket_transfer(ticket=ticket, by=agent, to_queue=sales, to_agent=outsider)
    ticket.refresh_from_db()
    assert (ticket.queue_id, ticket.assignee_id) == (queue.pk, agent.pk)
    assert _kinds(ticket) == []


def test_transfer_to_an_agent_outside_the_tickets_own_queue_is_refused(agent, queue):
    outsider = UserFactory()
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
    with pytest.raises(AgentNotInQueue):
        ticket_transfer(ticket=ticket, by=agent, to_agent=outsider)


def test_transfer_to_an_inactive_agent_is_refused(agent, queue):
    inactive = UserFactory(queues=[queue], is_active=False)
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
    with pytest.raises(AgentInactive):
        ticket_transfer(ticket=ticket, by=agent, to_agent=inactive)


def test_transfer_of_a_closed_ticket_is_refused(queue):
    admin = AdminFactory()
    ticket = TicketFactory(queue=queue, status=Ticket.Status.CLOSED)
    with pytest.raises(InvalidTicketTransition):
        ticket_transfer(ticket=ticket, by=admin, to_queue=QueueFactory())


def test_a_transfer_that_changes_nothing_is_refused(agent, queue):
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
    with pytest.raises(NothingToTransfer):
        ticket_transfer(ticket=ticket, by=agent)
    with pytest.raises(NothingToTransfer):
        ticket_transfer(ticket=ticket, by=agent, to_queue=queue, to_agent=agent)


def test_an_agent_cannot_transfer_someone_elses_ticket_but_an_admin_can(agent, queue):
    other = UserFactory(queues=[queue])
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=other)
    with pytest.raises(TicketActionForbidden):
        ticket_transfer(ticket=ticket, by=agent, to_agent=agent)

    ticket_transfer(ticket=ticket, by=AdminFactory(), to_agent=agent)
    assert ticket.assignee_id == agent.pk


# ------------------------------------------------------------------ return, close, reopen


def test_returning_an_open_ticket_makes_it_pending_and_unassigned(agent, queue):
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)

    ticket_return_to_queue(ticket=ticket, by=agent)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (Ticket.Status.PENDING, None)
    assert _kinds(ticket) == [Kind.RETURNED]


def test_a_pending_ticket_cannot_be_returned(agent, queue):
    ticket = TicketFactory(queue=queue, assignee=agent)
    with pytest.raises(InvalidTicketTransition):
        ticket_return_to_queue(ticket=ticket, by=agent)


def test_closing_sets_closed_at_and_closed_by_and_records_the_protocol(agent, queue):
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)

    ticket_close(ticket=ticket, by=agent)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.closed_at is not None
    assert ticket.closed_by_id == agent.pk
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.data["protocol"]) == (Kind.CLOSED, ticket.protocol)


def test_closing_a_closed_ticket_is_refused(agent, queue):
    ticket = TicketFactory(queue=queue, status=Ticket.Status.CLOSED)
    with pytest.raises(InvalidTicketTransition):
        ticket_close(ticket=ticket, by=AdminFactory())


def test_an_agent_cannot_close_someone_elses_ticket(agent, queue):
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=UserFactory())
    with pytest.raises(TicketActionForbidden):
        ticket_close(ticket=ticket, by=agent)


def test_reopening_assigns_the_ticket_to_the_agent(agent, queue):
    ticket = TicketFactory(queue=queue, status=Ticket.Status.CLOSED)

    ticket_reopen(ticket=ticket, by=agent)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id, ticket.closed_at) == (
        Ticket.Status.OPEN,
        agent.pk,
        None,
    )
    assert _kinds(ticket) == [Kind.REOPENED]


def test_reopening_is_refused_when_the_contact_has_another_active_ticket(agent, queue):
    closed = TicketFactory(queue=queue, status=Ticket.Status.CLOSED)
    active = TicketFactory(queue=queue, contact=closed.contact, connection=closed.connection)

    with pytest.raises(ActiveTicketExists) as error:
        ticket_reopen(ticket=closed, by=agent)
    assert error.value.extra == {"ticket_id": str(active.public_id)}
    closed.refresh_from_db()
    assert closed.status == Ticket.Status.CLOSED


def test_an_open_ticket_cannot_be_reopened(agent, queue):
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
    with pytest.raises(InvalidTicketTransition):
        ticket_reopen(ticket=ticket, by=agent)


# ------------------------------------------------------------------ outbound create


def test_an_agent_opens_an_outbound_ticket_assigned_to_themselves(agent, queue):
    contact, connection = ContactFactory(), ConnectionFactory()

    ticket = ticket_create_outbound(contact=contact, connection=connection, by=agent, queue=queue)

    assert (ticket.status, ticket.assignee_id, ticket.is_outbound) == (
        Ticket.Status.OPEN,
        agent.pk,
        True,
    )
    assert ticket.last_message_at is not None
    assert _kinds(ticket) == [Kind.CREATED]


def test_an_outbound_ticket_is_refused_when_one_is_already_active(agent):
    existing = TicketFactory()

    with pytest.raises(ActiveTicketExists) as error:
        ticket_create_outbound(contact=existing.contact, connection=existing.connection, by=agent)
    assert error.value.extra == {"ticket_id": str(existing.public_id)}
    assert Ticket.objects.filter(contact=existing.contact).count() == 1


def test_an_outbound_ticket_in_a_queue_the_agent_is_not_in_is_refused(agent):
    with pytest.raises(AgentNotInQueue):
        ticket_create_outbound(
            contact=ContactFactory(), connection=ConnectionFactory(), by=agent, queue=QueueFactory()
        )


def test_an_outbound_ticket_to_a_blocked_contact_is_refused(agent):
    with pytest.raises(ContactBlocked):
        ticket_create_outbound(
            contact=ContactFactory(is_blocked=True), connection=ConnectionFactory(), by=agent
        )


# ------------------------------------------------------------------ read, tags, delete


def test_mark_read_clears_the_unread_counter(agent, queue):
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent, unread_count=4)
    ticket_mark_read(ticket=ticket, by=agent)
    ticket.refresh_from_db()
    assert ticket.unread_count == 0


def test_tags_change_on_the_contact_and_each_change_is_on_the_timeline(agent, queue):
    keep, drop, add = TagFactory(), TagFactory(), TagFactory()
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
    ticket.contact.tags.set([keep, drop])

    ticket_tags_set(ticket=ticket, by=agent, tag_ids=[keep.pk, add.pk])

    assert set(ticket.contact.tags.values_list("pk", flat=True)) == {keep.pk, add.pk}
    events = {(e.kind, e.data["tag"]["id"]) for e in TicketEvent.objects.filter(ticket=ticket)}
    assert events == {(Kind.TAG_ADDED, add.pk), (Kind.TAG_REMOVED, drop.pk)}


def test_unknown_tags_change_nothing(agent, queue):
    tag = TagFactory()
    ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
    ticket.contact.tags.set([tag])
    with pytest.raises(FieldValidationError):
        ticket_tags_set(ticket=ticket, by=agent, tag_ids=[999999])
    assert list(ticket.contact.tags.all()) == [tag]
    assert _kinds(ticket) == []


def test_only_admins_soft_delete_and_restore_closed_tickets(agent, queue):
    admin = AdminFactory()
    ticket = TicketFactory(queue=queue, status=Ticket.Status.CLOSED)
    with pytest.raises(AdminRequired):
        ticket_soft_delete(ticket=ticket, by=agent)

    ticket_soft_delete(ticket=ticket, by=admin)
    ticket.refresh_from_db()
    assert ticket.deleted_at is not None
    with pytest.raises(InvalidTicketTransition):
        ticket_soft_delete(ticket=ticket, by=admin)
    with pytest.raises(AdminRequired):
        ticket_restore(ticket=ticket, by=agent)

    ticket_restore(ticket=ticket, by=admin)
    ticket.refresh_from_db()
    assert ticket.deleted_at is None
    assert _kinds(ticket) == [Kind.DELETED, Kind.RESTORED]


def test_an_active_ticket_cannot_be_soft_deleted(queue):
    ticket = TicketFactory(queue=queue, last_message_at=timezone.now())
    with pytest.raises(TicketNotClosed):
        ticket_soft_delete(ticket=ticket, by=AdminFactory())
