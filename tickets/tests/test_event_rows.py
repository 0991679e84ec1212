"""Live events read a ticket or a message in one ``values()`` query; what they build from it is
exactly what the documented serializers and the audience rule give for the loaded models."""

from __future__ import annotations

import itertools

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.tests.factories import UserFactory
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.api.message_serializers import MessageOutputSerializer, message_row_from_values
from tickets.api.ticket_serializers import TicketOutputSerializer, ticket_row_from_values
from tickets.models import Message, Ticket
from tickets.selectors import (
    message_event_values,
    message_get_for_event,
    ticket_audience,
    ticket_event_row,
    ticket_event_row_audience,
    ticket_get_for_event,
)
from tickets.tests.factories import MessageFactory, QueueFactory, TicketFactory


@pytest.fixture
def tickets(alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        agent = UserFactory(queues=[queue], name="")  # str(user) falls back to the e-mail
        tagged = ContactFactory()
        tagged.tags.set([TagFactory(name="VIP"), TagFactory(name="Atacado")])
        tagged.owners.set([agent])
        yield [
            TicketFactory(),
            TicketFactory(
                contact=tagged,
                queue=queue,
                assignee=agent,
                status=Ticket.Status.OPEN,
                unread_count=3,
                last_message_preview="Oi",
                answered=True,
            ),
            TicketFactory(status=Ticket.Status.CLOSED),
            TicketFactory(queue=queue, deleted_at=timezone.now()),
        ]


def test_the_ticket_row_from_values_equals_the_serializer(tickets, django_assert_num_queries):
    for ticket in tickets:
        with django_assert_num_queries(1):
            row = ticket_event_row(ticket.pk)
        assert row is not None
        assert (
            ticket_row_from_values(row.values)
            == TicketOutputSerializer(ticket_get_for_event(ticket.pk)).data
        )
        assert row.public_id == str(ticket.public_id)
        assert row.is_deleted == (ticket.deleted_at is not None)
    assert ticket_event_row(10**9) is None


SETTINGS = (
    "hide_tickets_assigned_to_others",
    "hide_tickets_of_other_wallets",
    "hide_tickets_without_queue",
)


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=3)))
def test_the_audience_of_an_event_row_is_the_tickets_audience(alpha, tickets, flags):
    tenant_settings_update(tenant=alpha.tenant, values=dict(zip(SETTINGS, flags, strict=True)))
    other_queue = QueueFactory()
    for ticket in tickets:
        row = ticket_event_row(ticket.pk)
        assert row is not None
        for before in ({}, {"queue_id": other_queue.pk, "assignee_id": None}):
            for ignore_deletion in (False, True):
                expected = ticket_audience(ticket, ignore_deletion=ignore_deletion, **before)
                got = ticket_event_row_audience(row, ignore_deletion=ignore_deletion, **before)
                assert got == expected


@pytest.fixture
def messages(tickets, media_root):
    ticket = tickets[1]
    agent = ticket.assignee
    plain = MessageFactory(ticket=ticket, payload={"extra": [1, 2]})
    reply = MessageFactory(
        ticket=ticket,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.AGENT,
        sender_contact=None,
        sender_user=agent,
        quoted=plain,
        status=Message.Status.SENT,
        sent_at=timezone.now(),
        error_code="",
    )
    note = MessageFactory(
        ticket=ticket,
        is_note=True,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.AGENT,
        sender_contact=None,
        sender_user=agent,
    )
    with_media = MessageFactory(
        ticket=ticket, kind=Message.Kind.IMAGE, body="", media_name="foto.png", media_size=3
    )
    with_media.media.save("foto.png", ContentFile(b"png"), save=True)
    deleted = MessageFactory(ticket=ticket, deleted_at=timezone.now(), edited_at=timezone.now())
    quoting_deleted = MessageFactory(ticket=ticket, quoted=deleted)
    quoting_media = MessageFactory(ticket=ticket, quoted=with_media, is_forwarded=True)
    return [plain, reply, note, with_media, deleted, quoting_deleted, quoting_media]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_the_message_row_from_values_equals_the_serializer(
    alpha, messages, django_assert_num_queries
):
    for message in messages:
        with django_assert_num_queries(1):
            found = message_event_values(message.pk)
        assert found is not None
        values, ticket = found
        loaded = message_get_for_event(message.pk)
        assert message_row_from_values(values) == MessageOutputSerializer(loaded).data
        assert ticket_row_from_values(ticket.values) == TicketOutputSerializer(loaded.ticket).data
    assert message_event_values(10**9) is None
