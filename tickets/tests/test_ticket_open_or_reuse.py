"""Inbound messages find their ticket: reuse the active one, else reopen or open a new one."""

import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from connections.models import ChannelConnection
from contacts.models import Contact
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.models import Ticket, TicketEvent
from tickets.services.tickets import ticket_close, ticket_open_or_reuse


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def _connection() -> ChannelConnection:
    return ChannelConnection.objects.create(provider="webchat", name="Site")


def test_the_first_message_opens_a_pending_ticket_with_a_protocol(in_alpha):
    contact = Contact.objects.create(name="Maria")
    connection = _connection()

    ticket, created = ticket_open_or_reuse(contact=contact, connection=connection)

    assert created
    assert ticket.status == Ticket.Status.PENDING
    assert ticket.protocol.split("-")[1].isdigit()
    assert list(ticket.events.values_list("kind", flat=True)) == [TicketEvent.Kind.CREATED]


def test_a_second_message_reuses_the_active_ticket(in_alpha):
    contact = Contact.objects.create(name="Maria")
    connection = _connection()
    first, _ = ticket_open_or_reuse(contact=contact, connection=connection)

    second, created = ticket_open_or_reuse(contact=contact, connection=connection)

    assert not created
    assert second.pk == first.pk


def test_protocols_are_unique_per_ticket(in_alpha):
    connection = _connection()
    protocols = {
        ticket_open_or_reuse(contact=Contact.objects.create(name=f"C{i}"), connection=connection)[
            0
        ].protocol
        for i in range(5)
    }
    assert len(protocols) == 5


def test_a_message_after_a_close_opens_a_new_ticket_with_a_new_protocol(in_alpha):
    contact = Contact.objects.create(name="Maria")
    connection = _connection()
    first, _ = ticket_open_or_reuse(contact=contact, connection=connection)
    ticket_close(ticket=first, by=None)

    second, created = ticket_open_or_reuse(contact=contact, connection=connection)

    assert created
    assert second.pk != first.pk
    assert second.protocol != first.protocol
    assert second.status == Ticket.Status.PENDING


def test_within_the_reopen_window_the_closed_ticket_is_reused(in_alpha):
    tenant_settings_update(tenant=in_alpha.tenant, values={"reopen_window_minutes": 30})
    contact = Contact.objects.create(name="Maria")
    connection = _connection()
    first, _ = ticket_open_or_reuse(contact=contact, connection=connection)
    ticket_close(ticket=first, by=None)

    again, created = ticket_open_or_reuse(contact=contact, connection=connection)

    assert not created
    assert again.pk == first.pk
    assert again.protocol == first.protocol
    assert again.status == Ticket.Status.PENDING
    assert again.closed_at is None
    assert list(again.events.values_list("kind", flat=True))[-1] == TicketEvent.Kind.REOPENED


def test_after_the_reopen_window_a_new_ticket_is_opened(in_alpha):
    tenant_settings_update(tenant=in_alpha.tenant, values={"reopen_window_minutes": 30})
    contact = Contact.objects.create(name="Maria")
    connection = _connection()
    first, _ = ticket_open_or_reuse(contact=contact, connection=connection)
    ticket_close(ticket=first, by=None)
    Ticket.objects.filter(pk=first.pk).update(closed_at=timezone.now() - timedelta(minutes=31))

    second, created = ticket_open_or_reuse(contact=contact, connection=connection)

    assert created
    assert second.protocol != first.protocol


def test_twenty_simultaneous_first_messages_open_one_ticket(alpha):
    tenant = alpha.tenant

    def setup():
        with tenant_scope(tenant):
            return Contact.objects.create(name="Rush").pk, _connection().pk

    contact_id, connection_id = _in_thread(setup)
    barrier = threading.Barrier(20)
    errors, ticket_ids = [], []

    def open_one():
        try:
            with tenant_scope(tenant):
                contact = Contact.objects.get(pk=contact_id)
                connection = ChannelConnection.objects.get(pk=connection_id)
                barrier.wait()
                ticket, _ = ticket_open_or_reuse(contact=contact, connection=connection)
                ticket_ids.append(ticket.pk)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            db_connection.close()

    def read_and_clean():
        with tenant_scope(tenant):
            tickets = Ticket.objects.filter(contact_id=contact_id)
            count = tickets.count()
            TicketEvent.objects.filter(ticket__in=tickets).delete()
            tickets.delete()
            Contact.objects.filter(pk=contact_id).delete()
            ChannelConnection.objects.filter(pk=connection_id).delete()
            return count

    threads = [threading.Thread(target=open_one) for _ in range(20)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        count = _in_thread(read_and_clean)

    assert not errors, errors
    assert count == 1
    assert len(set(ticket_ids)) == 1
    assert len(ticket_ids) == 20


def _in_thread(func):
    result, errors = {}, []

    def run():
        try:
            result["value"] = func()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            db_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not errors, errors
    return result.get("value")
