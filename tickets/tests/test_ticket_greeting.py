"""A ticket the customer opens gets the connection's greeting, once, after their message."""

import pytest

from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message, TicketEvent
from tickets.services.messages import ReceivedMessage, message_receive
from tickets.tests.factories import ConnectionFactory


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def _greetings(ticket):
    return Message.objects.filter(ticket=ticket, sender=Message.Sender.SYSTEM)


def test_the_first_message_opens_a_ticket_and_queues_the_rendered_greeting(
    in_alpha, django_capture_on_commit_callbacks
):
    connection = ConnectionFactory(greeting_message="Olá {name}! Protocolo {protocol}.")
    contact = ContactFactory(name="Ana Souza")

    with django_capture_on_commit_callbacks(execute=True):
        first, _ = message_receive(
            received=ReceivedMessage(connection=connection, contact=contact, body="oi")
        )
        message_receive(
            received=ReceivedMessage(connection=connection, contact=contact, body="alguém?")
        )

    ticket = first.ticket
    greeting = _greetings(ticket).get()
    assert greeting.body == f"Olá Ana Souza! Protocolo {ticket.protocol}."
    assert (greeting.direction, greeting.status) == ("out", "queued")
    assert greeting.dispatched_at is not None  # handed to the outbound pipeline
    assert list(ticket.events.values_list("kind", flat=True)) == [
        TicketEvent.Kind.CREATED,
        TicketEvent.Kind.MESSAGE_IN,
        TicketEvent.Kind.MESSAGE_OUT,
        TicketEvent.Kind.MESSAGE_IN,
    ]
    ticket.refresh_from_db()
    assert ticket.answered is False
    assert ticket.last_message_preview == "alguém?"


def test_no_greeting_without_text_or_for_groups(in_alpha):
    silent = ConnectionFactory(greeting_message="   ")
    greeting = ConnectionFactory(greeting_message="Olá!")

    quiet, _ = message_receive(
        received=ReceivedMessage(connection=silent, contact=ContactFactory(), body="oi")
    )
    group, _ = message_receive(
        received=ReceivedMessage(
            connection=greeting, contact=ContactFactory(is_group=True), body="oi"
        )
    )

    assert not _greetings(quiet.ticket).exists()
    assert not _greetings(group.ticket).exists()


def test_a_redelivered_first_message_does_not_greet_twice(in_alpha):
    connection = ConnectionFactory(greeting_message="Olá!")
    contact = ContactFactory()

    first, _ = message_receive(
        received=ReceivedMessage(
            connection=connection, contact=contact, body="oi", provider_message_id="p1"
        )
    )
    message_receive(
        received=ReceivedMessage(
            connection=connection, contact=contact, body="oi", provider_message_id="p1"
        )
    )

    assert _greetings(first.ticket).count() == 1
