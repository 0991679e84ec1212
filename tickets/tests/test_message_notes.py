"""Internal notes: agents only, never dispatched, never unread, allowed on closed tickets."""

import pytest

from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket, TicketEvent
from tickets.services.messages import message_dispatch, message_forward, note_add
from tickets.tests.factories import TicketFactory


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def test_a_note_is_stored_sent_and_never_dispatched(in_alpha, django_capture_on_commit_callbacks):
    agent = UserFactory()
    ticket = TicketFactory(unread_count=1, answered=False, last_message_preview="cliente")

    with django_capture_on_commit_callbacks(execute=True):
        note = note_add(ticket=ticket, by=agent, body="cliente VIP, cuidado")

    note.refresh_from_db()
    assert note.is_note
    assert note.direction == Message.Direction.OUTBOUND
    assert note.status == Message.Status.SENT
    assert note.dispatched_at is None
    assert message_dispatch(note) is False
    note.refresh_from_db()
    assert note.dispatched_at is None
    ticket.refresh_from_db()
    assert (ticket.unread_count, ticket.answered, ticket.last_message_preview) == (
        1,
        False,
        "cliente",
    )
    assert ticket.events.filter(kind=TicketEvent.Kind.NOTE).count() == 1


def test_a_note_can_be_added_to_a_closed_ticket(in_alpha):
    ticket = TicketFactory(status=Ticket.Status.CLOSED)

    note = note_add(ticket=ticket, by=UserFactory(), body="fechado por engano")

    assert note.ticket == ticket


def test_a_note_is_never_forwarded_to_a_customer(in_alpha):
    agent = UserFactory()
    note = note_add(ticket=TicketFactory(), by=agent, body="segredo")
    target = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)

    with pytest.raises(ApplicationError) as exc:
        message_forward(message=note, to_ticket=target, by=agent)

    assert exc.value.code == "message_not_forwardable"
    assert not Message.objects.filter(ticket=target).exists()
