"""The queue's greeting reaches the customer when a ticket enters the queue: a new ticket in
the connection's default queue, and a transfer to another queue; once per ticket and queue,
through the outbound pipeline, never for groups."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AdminFactory
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.services.messages import ReceivedMessage, message_receive
from tickets.services.tickets import ticket_transfer
from tickets.tests.factories import ConnectionFactory, QueueFactory, TicketFactory


def _greetings(ticket):
    return list(
        Message.objects.filter(ticket=ticket, sender=Message.Sender.SYSTEM)
        .order_by("id")
        .values_list("body", flat=True)
    )


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def test_a_new_ticket_gets_the_connection_greeting_then_its_queues(
    in_alpha, django_capture_on_commit_callbacks
):
    sales = QueueFactory(name="Vendas", greeting_message="Vendas aqui, {name}.")
    connection = ConnectionFactory(default_queue=sales, greeting_message="Olá!")
    contact = ContactFactory(name="Ana")

    with django_capture_on_commit_callbacks(execute=True):
        first, _ = message_receive(
            received=ReceivedMessage(connection=connection, contact=contact, body="oi")
        )
        message_receive(received=ReceivedMessage(connection=connection, contact=contact, body="?"))

    assert _greetings(first.ticket) == ["Olá!", "Vendas aqui, Ana."]
    greeting = Message.objects.get(body="Vendas aqui, Ana.")
    assert greeting.payload == {"queue_greeting": sales.pk}
    assert greeting.dispatched_at is not None  # handed to the outbound pipeline


def test_a_transfer_to_another_queue_greets_once_per_queue(
    in_alpha, django_capture_on_commit_callbacks
):
    admin = AdminFactory()
    sales = QueueFactory(greeting_message="Vendas.")
    support = QueueFactory(greeting_message="Suporte.")
    silent = QueueFactory(greeting_message="  ")
    ticket = TicketFactory(queue=sales, status="open", assignee=admin)

    with django_capture_on_commit_callbacks(execute=True):
        ticket_transfer(ticket=ticket, by=admin, to_queue=support)
        ticket_transfer(ticket=ticket, by=admin, to_queue=silent)
        ticket_transfer(ticket=ticket, by=admin, to_queue=support)  # back: not again

    assert _greetings(ticket) == ["Suporte."]


def test_a_transfer_to_an_agent_in_the_same_queue_greets_nobody(in_alpha):
    admin = AdminFactory()
    sales = QueueFactory(greeting_message="Vendas.")
    agent = AdminFactory(queues=[sales])
    ticket = TicketFactory(queue=sales, status="open", assignee=admin)

    ticket_transfer(ticket=ticket, by=admin, to_agent=agent)

    assert _greetings(ticket) == []


def test_groups_get_no_queue_greeting(in_alpha):
    sales = QueueFactory(greeting_message="Vendas.")
    connection = ConnectionFactory(default_queue=sales)
    group = ContactFactory(is_group=True)

    message, _ = message_receive(
        received=ReceivedMessage(connection=connection, contact=group, body="oi")
    )

    assert _greetings(message.ticket) == []


def test_each_tenant_greets_with_its_own_queue(alpha, beta):
    with tenant_scope(beta.tenant):
        queue = QueueFactory(name="Q", greeting_message="Beta.")
        connection = ConnectionFactory(default_queue=queue)
        message, _ = message_receive(
            received=ReceivedMessage(connection=connection, contact=ContactFactory(), body="oi")
        )
        assert _greetings(message.ticket) == ["Beta."]
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(name="Q", greeting_message="Alpha.")
        connection = ConnectionFactory(default_queue=queue)
        message, _ = message_receive(
            received=ReceivedMessage(connection=connection, contact=ContactFactory(), body="oi")
        )
        assert _greetings(message.ticket) == ["Alpha."]
