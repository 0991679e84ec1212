"""The templates API: admins list, sync, submit and delete; agents list approved ones and send
one; free text outside the window is refused with a coded 422 and nothing stored; bad
parameters answer 400 by key; another tenant's template is 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from channels_integrations.models import MessageTemplate
from channels_integrations.tests.test_templates import ORDER, PHONE_B, SECRET_B, WABA_A, WABA_B
from channels_integrations.tests.test_templates import _whatsapp as whatsapp
from conftest import sign_in_api
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import MessageFactory, TicketFactory


@pytest.fixture
def world(alpha, api_alpha, provider_sim):
    connection = whatsapp(alpha.tenant, "106540352242922", WABA_A, "app-secret-a")
    provider_sim.templates.add(WABA_A, name="order", components=ORDER)
    provider_sim.templates.add(WABA_A, name="draft", status="PENDING")
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        contact = ContactFactory(name="Ana", phone="+5511988887777")
        ticket = TicketFactory(
            connection=connection, contact=contact, status=Ticket.Status.OPEN, assignee=agent
        )
        wrote = MessageFactory(ticket=ticket, provider_message_id="wamid.X")
        old = timezone.now() - timedelta(days=2)
        Message.objects.filter(pk=wrote.pk).update(created_at=old)
        Ticket.objects.filter(pk=ticket.pk).update(last_inbound_at=old)
    sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)
    return alpha, api_alpha, connection, agent, ticket, provider_sim


def test_admins_sync_list_submit_and_delete(world):
    alpha, api, connection, _agent, _ticket, sim = world
    synced = api.post("/api/v1/templates/sync/", {"connection": str(connection.public_id)})
    assert (synced.status_code, synced.json()) == (200, {"count": 2})
    listed = api.get("/api/v1/templates/", {"connection": str(connection.public_id)}).json()
    assert [(t["name"], t["status"]) for t in listed["results"]] == [
        ("draft", "PENDING"),
        ("order", "APPROVED"),
    ]
    order = listed["results"][1]
    assert [p["key"] for p in order["parameters"]] == ["body.1", "body.2"]

    created = api.post(
        "/api/v1/templates/",
        {
            "connection": str(connection.public_id),
            "name": "welcome",
            "language": "en_US",
            "category": "MARKETING",
            "body": "Welcome {{1}}!",
            "body_examples": ["Ana"],
            "quick_replies": ["Thanks"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "PENDING"
    bad = api.post(
        "/api/v1/templates/",
        {
            "connection": str(connection.public_id),
            "name": "x",
            "language": "en_US",
            "category": "MARKETING",
            "body": "Hi {{1}}",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error"
    assert "body_examples" in bad.json()["extra"]["fields"]

    deleted = api.delete(f"/api/v1/templates/{created.json()['id']}/")
    assert deleted.status_code == 204
    assert sim.templates.find("welcome", "en_US") is None
    with tenant_scope(alpha.tenant):
        assert not MessageTemplate.objects.filter(name="welcome").exists()


def test_agents_see_approved_templates_only_and_cannot_manage(world):
    alpha, api, connection, agent, _ticket, _sim = world
    api.post("/api/v1/templates/sync/", {"connection": str(connection.public_id)})
    sign_in_api(api, agent.email)
    listed = api.get("/api/v1/templates/").json()["results"]
    assert [t["name"] for t in listed] == ["order"]
    refused = api.post("/api/v1/templates/sync/", {"connection": str(connection.public_id)})
    assert (refused.status_code, refused.json()["code"]) == (403, "admin_required")


def test_the_api_refuses_free_text_outside_the_window_and_sends_a_template(world):
    alpha, api, connection, agent, ticket, sim = world
    api.post("/api/v1/templates/sync/", {"connection": str(connection.public_id)})
    sign_in_api(api, agent.email)
    text = api.post(f"/api/v1/tickets/{ticket.public_id}/messages/", {"body": "Oi?"})
    assert text.status_code == 422
    assert text.json()["code"] == "free_text_window_closed"
    with tenant_scope(alpha.tenant):
        order = MessageTemplate.objects.get(name="order")
        draft = MessageTemplate.objects.get(name="draft")
    url = f"/api/v1/templates/{order.public_id}/send/"
    missing = api.post(
        url, {"ticket": str(ticket.public_id), "parameters": {"body.1": "Ana"}}, format="json"
    )
    assert missing.status_code == 400
    assert missing.json()["code"] == "template_parameters_invalid"
    assert list(missing.json()["extra"]["fields"]) == ["body.2"]
    # Agents do not see templates that are not approved: the same 404 as a missing one.
    pending = api.post(
        f"/api/v1/templates/{draft.public_id}/send/",
        {"ticket": str(ticket.public_id)},
        format="json",
    )
    assert (pending.status_code, pending.json()["code"]) == (404, "template_not_found")
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()

    sent = api.post(
        url,
        {"ticket": str(ticket.public_id), "parameters": {"body.1": "Ana", "body.2": "#9"}},
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    assert sent.json()["body"] == "Hi Ana, order #9 is ready."
    assert sent.json()["status"] == "queued"


def test_a_template_starts_a_conversation_with_a_new_number(world):
    alpha, api, connection, agent, _ticket, _sim = world
    api.post("/api/v1/templates/sync/", {"connection": str(connection.public_id)})
    with tenant_scope(alpha.tenant):
        order = MessageTemplate.objects.get(name="order")
    sign_in_api(api, agent.email)
    text = api.post(
        "/api/v1/conversations/",
        {"connection": str(connection.public_id), "phone": "+5511955554444", "body": "Oi"},
        format="json",
    )
    assert text.status_code == 422
    started = api.post(
        f"/api/v1/templates/{order.public_id}/send/",
        {"phone": "+5511955554444", "parameters": {"body.1": "Bia", "body.2": "#3"}},
        format="json",
    )
    assert started.status_code == 201, started.json()
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get(public_id=started.json()["ticket"])
        assert ticket.contact.phone == "+5511955554444"
        assert ticket.assignee_id == agent.pk


def test_another_tenants_template_is_not_found(world, beta, api_beta):
    alpha, api, connection, _agent, _ticket, sim = world
    api.post("/api/v1/templates/sync/", {"connection": str(connection.public_id)})
    with tenant_scope(alpha.tenant):
        order = MessageTemplate.objects.get(name="order")
    whatsapp(beta.tenant, PHONE_B, WABA_B, SECRET_B)
    sign_in_api(api_beta, beta.admin_email, beta.admin_password)
    assert api_beta.get("/api/v1/templates/").json()["results"] == []
    response = api_beta.get(f"/api/v1/templates/{order.public_id}/")
    assert (response.status_code, response.json()["code"]) == (404, "template_not_found")
    assert api_beta.delete(f"/api/v1/templates/{order.public_id}/").status_code == 404
