"""New conversations (the agent writes first, issue 18 item 11): a connection is offered only
when its provider accepts a free-form first message to that contact now (WhatsApp Cloud and
Meta within 24 hours of the customer's last message, Telegram to people who wrote to the bot,
never the web chat), with the reason otherwise; the start opens a ticket assigned to the agent
with the message queued for the outbound pipeline, or names the contact's active ticket;
refusals store nothing; two tenants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from channels_integrations.models import OutboundDelivery
from conftest import sign_in_api
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import ConnectionFactory, MessageFactory, TicketFactory

URL = "/api/v1/conversations/"


@pytest.fixture
def desk(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        whatsapp = ConnectionFactory(provider="whatsapp_cloud", name="WhatsApp")
        telegram = ConnectionFactory(provider="telegram", name="Telegram")
        webchat = ConnectionFactory(provider="webchat", name="Site")
        contact = ContactFactory(name="Joana", phone="+5511987654321")
    sign_in_api(api_alpha, agent.email)
    return {
        "api": api_alpha,
        "agent": agent,
        "whatsapp": whatsapp,
        "telegram": telegram,
        "webchat": webchat,
        "contact": contact,
    }


def _wrote(tenant, contact, connection, hours_ago):
    """``contact`` wrote on ``connection`` ``hours_ago`` hours ago (on a closed ticket)."""
    with tenant_scope(tenant):
        ticket = TicketFactory(contact=contact, connection=connection, status="closed")
        message = MessageFactory(ticket=ticket)
        Message.objects.filter(pk=message.pk).update(
            created_at=timezone.now() - timedelta(hours=hours_ago)
        )


def _start(desk, connection, **data):
    payload = {"connection": str(connection.public_id), "body": "Olá, Joana!", **data}
    if "phone" not in data and "contact" not in data:
        payload["contact"] = str(desk["contact"].public_id)
    return desk["api"].post(URL, payload, format="json")


def test_whatsapp_within_24_hours_opens_a_ticket_of_the_agent_and_queues_the_message(
    alpha, desk, django_capture_on_commit_callbacks
):
    _wrote(alpha.tenant, desk["contact"], desk["whatsapp"], hours_ago=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(desk, desk["whatsapp"])

    assert response.status_code == 201, response.json()
    body = response.json()
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get(public_id=body["public_id"])
        assert (ticket.status, ticket.assignee_id, ticket.is_outbound) == (
            "open",
            desk["agent"].pk,
            True,
        )
        [message] = Message.objects.filter(ticket=ticket)
        assert (message.direction, message.body) == ("out", "Olá, Joana!")
        assert OutboundDelivery.objects.filter(message=message).exists()


def test_a_closed_window_a_bot_never_written_to_and_the_web_chat_are_refused_with_reasons(
    alpha, desk
):
    _wrote(alpha.tenant, desk["contact"], desk["whatsapp"], hours_ago=30)
    refusals = {}
    for key in ("whatsapp", "telegram", "webchat"):
        response = _start(desk, desk[key])
        assert response.status_code == 422
        assert response.json()["code"] == "conversation_cannot_start"
        refusals[key] = response.json()["message"]
    assert "24" in refusals["whatsapp"]
    assert "template" in refusals["whatsapp"].lower() or "modelo" in refusals["whatsapp"].lower()
    assert refusals["telegram"] != refusals["webchat"]
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.exclude(status="closed").count() == 0
        assert not Message.objects.filter(direction="out").exists()

    options = (
        desk["api"].get(f"{URL}connections/", {"contact": str(desk["contact"].public_id)}).json()
    )
    assert [(o["connection_name"], o["available"]) for o in options] == [
        ("Site", False),
        ("Telegram", False),
        ("WhatsApp", False),
    ]
    assert [o["reason"] for o in options] == [
        refusals["webchat"],
        refusals["telegram"],
        refusals["whatsapp"],
    ]


def test_telegram_reaches_someone_who_wrote_to_the_bot_even_days_later(alpha, desk):
    _wrote(alpha.tenant, desk["contact"], desk["telegram"], hours_ago=24 * 5)
    assert _start(desk, desk["telegram"]).status_code == 201


def test_an_active_ticket_is_named_instead_of_a_second_one(alpha, desk):
    _wrote(alpha.tenant, desk["contact"], desk["telegram"], hours_ago=1)
    with tenant_scope(alpha.tenant):
        active = TicketFactory(contact=desk["contact"], connection=desk["telegram"])

    response = _start(desk, desk["telegram"])

    assert response.status_code == 409
    assert response.json()["extra"]["ticket_id"] == str(active.public_id)
    options = (
        desk["api"].get(f"{URL}connections/", {"contact": str(desk["contact"].public_id)}).json()
    )
    telegram = next(o for o in options if o["connection_name"] == "Telegram")
    assert (telegram["available"], telegram["active_ticket"]) == (False, str(active.public_id))
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.filter(contact=desk["contact"]).count() == 2  # + the closed one
        assert not Message.objects.filter(direction="out").exists()


def test_a_typed_phone_is_normalised_and_matched_and_a_new_number_stores_nothing(alpha, desk):
    _wrote(alpha.tenant, desk["contact"], desk["whatsapp"], hours_ago=1)
    matched = _start(desk, desk["whatsapp"], phone="(11) 98765-4321")
    assert matched.status_code == 201, matched.json()
    assert matched.json()["contact"]["public_id"] == str(desk["contact"].public_id)

    # A number nobody has: WhatsApp would need a template, so no contact is created either.
    new = _start(desk, desk["whatsapp"], phone="+55 21 99888-7766")
    assert new.status_code == 422
    bad = _start(desk, desk["whatsapp"], phone="12")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_phone"
    empty = desk["api"].post(URL, {"connection": str(desk["whatsapp"].public_id)}, format="json")
    assert empty.status_code == 400
    assert "body" in empty.json()["extra"]["fields"]
    with tenant_scope(alpha.tenant):
        assert not Contact.objects.filter(phone="+5521998887766").exists()


def test_another_tenants_connection_and_contact_are_unknown(alpha, beta, desk):
    with tenant_scope(beta.tenant):
        beta_connection = ConnectionFactory(provider="telegram")
        beta_contact = ContactFactory()
    response = _start(desk, beta_connection)
    assert response.status_code == 400
    assert "connection" in response.json()["extra"]["fields"]
    response = _start(desk, desk["telegram"], contact=str(beta_contact.public_id))
    assert response.status_code == 404
    options = (
        desk["api"].get(f"{URL}connections/", {"contact": str(desk["contact"].public_id)}).json()
    )
    assert str(beta_connection.public_id) not in {o["connection"] for o in options}
