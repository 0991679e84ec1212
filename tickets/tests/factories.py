"""factory_boy factories of queues, connections, tickets, messages and quick replies; call them
inside a tenant scope. Users and contacts come from their own apps' factories."""

from __future__ import annotations

import factory
from django.utils import timezone

from connections.tests.factories import ChannelConnectionFactory
from contacts.tests.factories import ContactFactory
from tickets.models import ConnectionRouting, Message, Queue, QuickReply, Ticket
from tickets.protocols import protocol_next


class QueueFactory(factory.django.DjangoModelFactory[Queue]):
    class Meta:
        model = Queue

    name = factory.Sequence(lambda n: f"Queue {n}")


ROUTING_FIELDS = ("default_queue", "greeting_message", "farewell_message")


class ConnectionFactory(ChannelConnectionFactory):
    """A connection; ``default_queue=``, ``greeting_message=`` and ``farewell_message=`` go to
    its routing (stored only when one of them is given, as a connection made elsewhere)."""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        routing = {name: kwargs.pop(name) for name in ROUTING_FIELDS if name in kwargs}
        connection = super()._create(model_class, *args, **kwargs)
        if routing:
            connection.routing = ConnectionRouting.objects.create(connection=connection, **routing)
        return connection


class TicketFactory(factory.django.DjangoModelFactory[Ticket]):
    """A pending ticket; pass ``status="open", assignee=...`` for an accepted one."""

    class Meta:
        model = Ticket

    protocol = factory.LazyFunction(protocol_next)
    contact = factory.SubFactory(ContactFactory)
    connection = factory.SubFactory(ConnectionFactory)
    queue = None
    status = Ticket.Status.PENDING
    last_message_at = factory.LazyFunction(timezone.now)
    closed_at = factory.LazyAttribute(
        lambda t: timezone.now() if t.status == Ticket.Status.CLOSED else None
    )


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    """An inbound text message from the ticket's contact (same connection as the ticket)."""

    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    connection = factory.LazyAttribute(lambda m: m.ticket.connection)
    direction = Message.Direction.INBOUND
    sender = Message.Sender.CONTACT
    sender_contact = factory.LazyAttribute(lambda m: m.ticket.contact)
    body = factory.Faker("sentence", locale="pt_BR")
    status = Message.Status.DELIVERED


class QuickReplyFactory(factory.django.DjangoModelFactory[QuickReply]):
    class Meta:
        model = QuickReply

    shortcode = factory.Sequence(lambda n: f"reply{n}")
    body = "Olá {{contact.name}}!"
