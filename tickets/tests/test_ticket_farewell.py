"""Closing queues the connection's farewell message once, only when the tenant wants it."""

import pytest

from accounts.tests.factories import AdminFactory
from contacts.tests.factories import ContactFactory
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.errors import InvalidTicketTransition
from tickets.models import Message, Ticket, TicketEvent
from tickets.services.tickets import ticket_close
from tickets.tests.factories import ConnectionFactory, TicketFactory


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def _ticket(farewell="Obrigado, {name}! Protocolo {protocol}.", **contact):
    connection = ConnectionFactory(farewell_message=farewell)
    return TicketFactory(
        connection=connection,
        contact=ContactFactory(name="Ana Souza", **contact),
        status=Ticket.Status.OPEN,
        assignee=AdminFactory(),
    )


def _farewells(ticket):
    return Message.objects.filter(ticket=ticket, sender=Message.Sender.SYSTEM)


def test_closing_queues_one_rendered_system_message(in_alpha, django_capture_on_commit_callbacks):
    ticket = _ticket()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_close(ticket=ticket, by=ticket.assignee)

    message = _farewells(ticket).get()
    assert message.body == f"Obrigado, Ana Souza! Protocolo {ticket.protocol}."
    assert (message.direction, message.kind, message.status) == (
        Message.Direction.OUTBOUND,
        Message.Kind.TEXT,
        Message.Status.QUEUED,
    )
    assert message.dispatched_at is not None  # handed to the outbound pipeline after commit
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.MESSAGE_OUT).count() == 1


def test_a_second_close_attempt_sends_no_second_farewell(in_alpha):
    ticket = _ticket()
    ticket_close(ticket=ticket, by=ticket.assignee)

    with pytest.raises(InvalidTicketTransition):
        ticket_close(ticket=ticket, by=ticket.assignee)

    assert _farewells(ticket).count() == 1


def test_no_farewell_when_the_setting_is_off(in_alpha):
    tenant_settings_update(tenant=in_alpha.tenant, values={"farewell_on_close": False})
    ticket = _ticket()
    ticket_close(ticket=ticket, by=ticket.assignee)
    assert not _farewells(ticket).exists()


def test_no_farewell_when_the_connection_has_none(in_alpha):
    ticket = _ticket(farewell="   ")
    ticket_close(ticket=ticket, by=ticket.assignee)
    assert not _farewells(ticket).exists()


def test_no_farewell_for_groups(in_alpha):
    ticket = _ticket(is_group=True)
    ticket_close(ticket=ticket, by=ticket.assignee)
    assert not _farewells(ticket).exists()


def test_automatic_close_follows_its_own_setting(in_alpha):
    silent, loud = _ticket(), _ticket()
    ticket_close(ticket=silent, by=None, automatic=True)
    tenant_settings_update(tenant=in_alpha.tenant, values={"farewell_on_auto_close": True})
    ticket_close(ticket=loud, by=None, automatic=True)

    assert not _farewells(silent).exists()
    assert _farewells(loud).count() == 1
