"""Inbound messages land on the contact's ticket, once per provider id, and count as unread."""

import threading

import pytest
from django.core.files.base import ContentFile
from django.db import connection as db_connection

from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket, TicketEvent
from tickets.services.messages import ReceivedMessage, message_receive
from tickets.tests.factories import ConnectionFactory, TicketFactory


@pytest.fixture
def in_alpha(alpha, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_scope(alpha.tenant):
        yield alpha


def test_a_new_contacts_first_message_opens_a_pending_ticket(in_alpha):
    contact = ContactFactory()
    connection = ConnectionFactory()

    message, created = message_receive(
        received=ReceivedMessage(
            connection=connection,
            contact=contact,
            body="Olá, preciso de ajuda",
            provider_message_id="p1",
        )
    )

    assert created
    ticket = message.ticket
    assert ticket.status == Ticket.Status.PENDING
    assert message.direction == Message.Direction.INBOUND
    assert message.sender == Message.Sender.CONTACT
    assert message.sender_contact == contact
    assert message.status == Message.Status.DELIVERED
    ticket.refresh_from_db()
    assert ticket.unread_count == 1
    assert ticket.last_message_preview == "Olá, preciso de ajuda"
    assert ticket.last_inbound_at == message.delivered_at
    assert ticket.answered is False
    assert list(ticket.events.values_list("kind", flat=True)) == [
        TicketEvent.Kind.CREATED,
        TicketEvent.Kind.MESSAGE_IN,
    ]


def test_a_redelivered_provider_id_returns_the_stored_message_and_changes_nothing(in_alpha):
    contact = ContactFactory()
    connection = ConnectionFactory()
    first, _ = message_receive(
        received=ReceivedMessage(
            connection=connection, contact=contact, body="oi", provider_message_id="wamid.1"
        )
    )

    again, created = message_receive(
        received=ReceivedMessage(
            connection=connection, contact=contact, body="oi", provider_message_id="wamid.1"
        )
    )

    assert not created
    assert again.pk == first.pk
    assert Message.objects.filter(ticket=first.ticket).count() == 1
    first.ticket.refresh_from_db()
    assert first.ticket.unread_count == 1
    assert first.ticket.events.filter(kind=TicketEvent.Kind.MESSAGE_IN).count() == 1


def test_the_same_provider_id_on_another_connection_is_another_message(in_alpha):
    contact = ContactFactory()

    one, _ = message_receive(
        received=ReceivedMessage(
            connection=ConnectionFactory(), contact=contact, provider_message_id="1"
        )
    )
    two, created = message_receive(
        received=ReceivedMessage(
            connection=ConnectionFactory(), contact=contact, provider_message_id="1"
        )
    )

    assert created
    assert one.pk != two.pk


def test_a_message_on_an_answered_ticket_makes_it_unanswered_again(in_alpha):
    ticket = TicketFactory(answered=True, unread_count=3)

    message_receive(
        received=ReceivedMessage(
            connection=ticket.connection, contact=ticket.contact, body="de novo"
        )
    )

    ticket.refresh_from_db()
    assert ticket.answered is False
    assert ticket.unread_count == 4


def test_a_quoted_provider_id_links_the_quoted_message(in_alpha):
    contact = ContactFactory()
    connection = ConnectionFactory()
    original, _ = message_receive(
        received=ReceivedMessage(
            connection=connection, contact=contact, body="a", provider_message_id="q1"
        )
    )

    reply, _ = message_receive(
        received=ReceivedMessage(
            connection=connection,
            contact=contact,
            body="b",
            provider_message_id="q2",
            quoted_provider_id="q1",
        )
    )

    assert reply.quoted == original


def test_received_media_is_stored_under_the_tenants_prefix(in_alpha, tmp_path):
    contact = ContactFactory()

    message, _ = message_receive(
        received=ReceivedMessage(
            connection=ConnectionFactory(),
            contact=contact,
            kind=Message.Kind.IMAGE,
            media=ContentFile(b"\x89PNG....", name="foto.png"),
            media_name="../../foto.png",
            media_mime="image/png",
        )
    )

    assert message.media.name.startswith("tenants/alpha/messages/")
    assert message.media_name == "foto.png"
    assert message.media_size == 8
    assert (tmp_path / message.media.name).read_bytes() == b"\x89PNG...."
    assert message.preview() == "foto.png"


def _run_threads(count, target):
    errors = []

    def wrapped(i):
        try:
            target(i)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _in_thread(func):
    result = {}

    def run(_):
        result["value"] = func()

    errors = _run_threads(1, run)
    assert not errors, errors
    return result.get("value")


def test_twenty_concurrent_messages_on_one_ticket_lose_no_unread_increment(alpha):
    tenant = alpha.tenant

    def setup():
        with tenant_scope(tenant):
            ticket = TicketFactory()
            return ticket.pk, ticket.contact_id, ticket.connection_id

    ticket_id, contact_id, connection_id = _in_thread(setup)

    def receive(i):
        with tenant_scope(tenant):
            ticket = Ticket.objects.select_related("contact", "connection").get(pk=ticket_id)
            message_receive(
                received=ReceivedMessage(
                    connection=ticket.connection,
                    contact=ticket.contact,
                    body=f"mensagem {i}",
                    provider_message_id=f"race-{i}",
                )
            )

    def read_and_clean():
        with tenant_scope(tenant):
            ticket = Ticket.objects.get(pk=ticket_id)
            counted = (ticket.unread_count, Message.objects.filter(ticket=ticket).count())
            Message.objects.filter(ticket=ticket).delete()
            TicketEvent.objects.filter(ticket=ticket).delete()
            ticket.delete()
            ticket.contact.delete()
            ticket.connection.delete()
            return counted

    try:
        errors = _run_threads(20, receive)
    finally:
        unread, messages = _in_thread(read_and_clean)

    assert not errors, errors
    assert (unread, messages) == (20, 20)
