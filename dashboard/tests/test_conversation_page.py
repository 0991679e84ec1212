"""The new-conversation page (issue 18 item 11): reached from the inbox, the contact page and
the contact panel; a contact searched or a phone typed (normalised and matched); the channels
that can reach them now, the others with their reason and no way to pick them; sending opens
the agent's ticket in the inbox; the contact's active ticket is opened instead of a second;
two tenants."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from conftest import signed_in_client
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import ConnectionFactory, MessageFactory, TicketFactory

URL = "/conversations/new/"


@pytest.fixture
def desk(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory(name="Ana")
        telegram = ConnectionFactory(provider="telegram", name="Bot de vendas")
        webchat = ConnectionFactory(provider="webchat", name="Chat do site")
        contact = ContactFactory(name="Joana Prado", phone="+5511987654321")
        closed = TicketFactory(contact=contact, connection=telegram, status="closed")
        MessageFactory(ticket=closed, body="Oi")
    return {
        "client": signed_in_client(alpha, agent),
        "agent": agent,
        "telegram": telegram,
        "webchat": webchat,
        "contact": contact,
    }


def test_the_entry_points_lead_to_the_page_with_the_contact(alpha, desk):
    client, contact = desk["client"], desk["contact"]
    assert 'data-testid="inbox-new-conversation"' in client.get("/").content.decode()
    edit = client.get(f"/contacts/{contact.public_id}/").content.decode()
    assert f"{URL}?contact={contact.public_id}" in edit
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(contact=contact, connection=desk["webchat"])
    panel = client.get(f"/contact-panel/{ticket.public_id}/", HTTP_HX_REQUEST="true")
    assert f"{URL}?contact={contact.public_id}" in panel.content.decode()


def test_search_then_send_opens_the_agents_ticket_in_the_inbox(alpha, desk):
    client, contact = desk["client"], desk["contact"]
    found = client.get(URL, {"q": "Joana"}).content.decode()
    assert f"?contact={contact.public_id}" in found

    page = client.get(URL, {"contact": str(contact.public_id)}).content.decode()
    assert "Joana Prado" in page
    assert 'data-provider="telegram" data-available="1"' in page
    assert 'data-provider="webchat" data-available="0"' in page
    assert "visitante" in page or "visitor" in page  # the web chat's reason is shown

    response = client.post(
        URL,
        {
            "contact": str(contact.public_id),
            "connection": str(desk["telegram"].public_id),
            "body": "Seu pedido chegou!",
        },
    )
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get(contact=contact, status="open")
        assert ticket.assignee_id == desk["agent"].pk
        assert Message.objects.get(ticket=ticket).body == "Seu pedido chegou!"
    assert response.status_code == 302
    assert response["Location"] == f"/?ticket={ticket.public_id}"

    # Again: the open ticket is where the agent goes, and nothing new is stored.
    again = client.post(
        URL,
        {
            "contact": str(contact.public_id),
            "connection": str(desk["telegram"].public_id),
            "body": "De novo",
        },
    )
    assert again["Location"] == f"/?ticket={ticket.public_id}"
    with tenant_scope(alpha.tenant):
        assert Message.objects.filter(direction="out").count() == 1


def test_a_refused_channel_or_bad_input_stores_nothing_and_says_why(alpha, desk):
    client, contact = desk["client"], desk["contact"]
    refused = client.post(
        URL,
        {
            "contact": str(contact.public_id),
            "connection": str(desk["webchat"].public_id),
            "body": "Olá",
        },
    )
    assert refused.status_code == 400
    empty = client.post(
        URL, {"contact": str(contact.public_id), "connection": str(desk["telegram"].public_id)}
    )
    assert empty.status_code == 400
    assert 'role="alert"' in empty.content.decode()
    bad_phone = client.get(URL, {"phone": "12"}).content.decode()
    assert 'aria-invalid="true"' in bad_phone
    with tenant_scope(alpha.tenant):
        assert not Ticket.objects.exclude(status="closed").exists()


def test_a_typed_phone_finds_the_contact_and_a_new_number_has_no_channel_yet(alpha, desk):
    client = desk["client"]
    matched = client.get(URL, {"phone": "(11) 98765-4321"}).content.decode()
    assert "Joana Prado" in matched
    assert 'data-testid="conversation-send"' in matched

    new = client.get(URL, {"phone": "+55 21 99888-7766"}).content.decode()
    assert "+5521998887766" in new
    assert 'data-testid="conversation-unavailable"' in new
    assert 'data-testid="conversation-send"' not in new


def test_another_tenants_contact_and_connection_are_not_offered(alpha, beta, desk):
    with tenant_scope(beta.tenant):
        beta_contact = ContactFactory(name="Beta Pessoa")
        beta_connection = ConnectionFactory(provider="telegram", name="Beta bot")
    client = desk["client"]
    page = client.get(URL, {"contact": str(beta_contact.public_id)}).content.decode()
    assert "Beta Pessoa" not in page
    assert 'data-testid="conversation-form"' not in page
    mine = client.get(URL, {"contact": str(desk["contact"].public_id)}).content.decode()
    assert "Beta bot" not in mine
    posted = client.post(
        URL,
        {
            "contact": str(desk["contact"].public_id),
            "connection": str(beta_connection.public_id),
            "body": "Olá",
        },
    )
    assert posted.status_code == 400
    with tenant_scope(alpha.tenant):
        assert not Ticket.objects.exclude(status="closed").exists()
