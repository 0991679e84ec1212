"""factory_boy factories for the helpdesk core; call them inside a tenant scope."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import User
from connections.tests.factories import ChannelConnectionFactory
from contacts.models import Contact, ContactIdentity, Tag
from tickets.models import ConnectionRouting, Message, Queue, QuickReply, Ticket
from tickets.protocols import protocol_next

PASSWORD = "Agent-Password-42"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@example.com")
    name = factory.Faker("name", locale="pt_BR")
    role = User.Role.AGENT
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def queues(self, create, extracted, **kwargs):
        if create and extracted:
            self.queues.set(extracted)


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    is_superuser = True


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")
    color = "#aa3355"


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    name = factory.Faker("name", locale="pt_BR")
    phone = factory.Sequence(lambda n: f"+55119{n:08d}")


class ContactIdentityFactory(factory.django.DjangoModelFactory[ContactIdentity]):
    class Meta:
        model = ContactIdentity

    contact = factory.SubFactory(ContactFactory)
    provider = "webchat"
    external_id = factory.Sequence(lambda n: f"visitor-{n}")


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
