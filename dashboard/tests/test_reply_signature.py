"""An agent whose profile signs their messages has the signature added under the text of every
reply sent from the composer (not to internal notes, not when turned off)."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import TicketFactory


@pytest.fixture
def open_ticket(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory(signature="Ana · Suporte Alpha", sign_messages=True)
        ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)
    return agent, ticket


def _send(fixture, agent, ticket, **fields):
    client = signed_in_client(fixture, agent)
    response = client.post(f"/tickets/{ticket.public_id}/messages/", {"body": "Bom dia!", **fields})
    assert response.status_code == 200, response.content
    with tenant_scope(fixture.tenant):
        return Message.objects.filter(ticket=ticket).latest("pk")


def test_a_reply_carries_the_agents_signature_under_the_text(alpha, open_ticket):
    agent, ticket = open_ticket

    message = _send(alpha, agent, ticket)

    assert message.body == "Bom dia!\n\nAna · Suporte Alpha"


def test_internal_notes_are_not_signed(alpha, open_ticket):
    agent, ticket = open_ticket

    note = _send(alpha, agent, ticket, note="1")

    assert (note.is_note, note.body) == (True, "Bom dia!")


def test_with_signing_turned_off_the_text_goes_as_typed(alpha, open_ticket):
    agent, ticket = open_ticket
    with tenant_scope(alpha.tenant):
        agent.sign_messages = False
        agent.save(update_fields=["sign_messages"])

    message = _send(alpha, agent, ticket)

    assert message.body == "Bom dia!"
