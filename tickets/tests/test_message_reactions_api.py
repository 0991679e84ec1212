"""Reactions and the customer's copy over HTTP: ``POST messages/<id>/reactions/`` reacts to a
customer's message with an emoji the channel offers (a coded 4xx otherwise, nothing stored),
messages say whether an edit or deletion reached the customer (``customer_copy``), and another
tenant's key finds none of it."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from conftest import sign_in_api
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import ConnectionFactory, MessageFactory, TicketFactory


@pytest.fixture
def world(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        whatsapp = ConnectionFactory(provider="whatsapp_cloud")
        ticket = TicketFactory(connection=whatsapp, status=Ticket.Status.OPEN, assignee=agent)
        received = MessageFactory(ticket=ticket, provider_message_id="wamid.IN1")
    sign_in_api(api_alpha, agent.email)
    return api_alpha, agent, ticket, received


def test_a_reaction_is_sent_with_an_emoji_the_channel_offers(alpha, world):
    api, agent, ticket, received = world
    url = f"/api/v1/messages/{received.public_id}/reactions/"

    refused = api.post(url, {"emoji": "🦄"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "reaction_not_supported"
    assert set(refused.json()) == {"code", "message", "extra"}
    assert api.post(url, {}, format="json").status_code == 400

    response = api.post(url, {"emoji": "👍"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["body"], body["quoted"]["id"]) == (
        "reaction",
        "👍",
        str(received.public_id),
    )
    with tenant_scope(alpha.tenant):
        assert Message.objects.filter(kind="reaction").count() == 1


def test_an_edit_on_whatsapp_says_it_stayed_here(alpha, world):
    api, agent, ticket, received = world
    with tenant_scope(alpha.tenant):
        sent = MessageFactory(
            ticket=ticket,
            direction="out",
            sender="agent",
            sender_user=agent,
            sender_contact=None,
            provider_message_id="wamid.OUT1",
        )
    response = api.patch(f"/api/v1/messages/{sent.public_id}/", {"body": "novo"}, format="json")
    assert response.status_code == 200
    assert response.json()["customer_copy"] == "local"


def test_another_tenant_cannot_react(alpha, beta, world, api_beta):
    _, _, _, received = world
    with tenant_scope(beta.tenant):
        intruder = UserFactory()
    sign_in_api(api_beta, intruder.email)
    response = api_beta.post(
        f"/api/v1/messages/{received.public_id}/reactions/", {"emoji": "👍"}, format="json"
    )
    assert response.status_code == 404
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(kind="reaction").exists()
