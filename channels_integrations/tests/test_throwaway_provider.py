"""A new provider is one folder plus one registry line: ``throwaway_provider/`` (written for this
test only) registered by the fixture below goes through everything a real one does: declared,
connected by an admin with credentials its serializer checks, its webhook turned into a ticket
by the real inbound pipeline, and an agent's reply sent through the real outbound pipeline."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from accounts.tests.factories import AdminFactory
from channels_integrations.models import OutboundDelivery
from channels_integrations.tasks import outbound_message_deliver_task
from channels_integrations.tests.support import PLATFORM_HOST, process_all
from channels_integrations.tests.throwaway_provider.provider import API, SECRET_HEADER
from conftest import host_client, sign_in_api, signed_in_client
from connections.models import ChannelConnection
from connections.providers.registry import PROVIDERS, provider_for, provider_label
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.services.messages import message_send
from tickets.tests.factories import QueueFactory

URL = "/api/v1/connections/"
CREDENTIALS = {"account": "lojinha", "token": "tok-1234567890"}


@pytest.fixture
def throwaway(monkeypatch):
    # The one line a new provider adds to connections/providers/registry.py.
    monkeypatch.setitem(
        PROVIDERS,
        "throwaway",
        "channels_integrations.tests.throwaway_provider.provider.ThrowawayProvider",
    )
    provider_for.cache_clear()
    yield
    provider_for.cache_clear()


@pytest.fixture
def provider_api():
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{API}/me").mock(return_value=httpx.Response(200, json={"name": "Lojinha"}))
        mock.post(f"{API}/hooks").mock(return_value=httpx.Response(200, json={"ok": True}))
        mock.post(f"{API}/messages").mock(return_value=httpx.Response(200, json={"id": "tw-1"}))
        yield mock


@pytest.fixture
def admin_api(alpha, api_alpha):
    return sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)


def test_a_provider_declares_its_key_label_credentials_and_capabilities(throwaway):
    provider = provider_for("throwaway")
    fields = provider.credential_fields()

    assert (provider.key, provider_label("throwaway")) == ("throwaway", "Throwaway")
    assert {name: (str(f.label), f.required, f.write_only) for name, f in fields.items()} == {
        "account": ("Account name", True, False),
        "token": ("API token", True, True),
        "region": ("Region", False, False),
    }
    assert provider.secret_fields == ("token", "webhook_secret")
    assert (provider.webhook_routing, provider.rate_limit_per_second) == ("connection", 3.0)


def test_the_admin_form_is_built_from_the_declared_credentials(alpha, throwaway):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    page = signed_in_client(alpha, admin).get("/manage/connections/new/throwaway/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="account"' in html
    assert "Lowercase letters only." in html
    assert 'type="password" name="token"' in html
    assert 'name="region"' in html


def test_connect_receive_and_reply_end_to_end(
    alpha, throwaway, provider_api, admin_api, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(name="Vendas")

    # Connect: the serializer refuses bad credentials, then the provider accepts good ones.
    refused = admin_api.post(
        URL,
        {"provider": "throwaway", "name": "Loja", "credentials": {"account": "X"}},
        format="json",
    )
    created = admin_api.post(
        URL,
        {
            "provider": "throwaway",
            "name": "Loja",
            "credentials": CREDENTIALS,
            "default_queue": queue.pk,
            "greeting_message": "Olá, {name}!",
        },
        format="json",
    )
    assert refused.status_code == 400
    assert set(refused.json()["extra"]["fields"]["credentials"]) == {"account", "token"}
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["details"]) == ("connected", {"display_name": "Lojinha"})
    assert body["credentials"]["token"].startswith("••••")
    with tenant_scope(alpha.tenant):
        connection = ChannelConnection.objects.get(public_id=body["id"])
        secret = connection.credentials["webhook_secret"]
    hooked = json.loads(provider_api.calls[-1].request.content)
    assert hooked == {"url": body["webhook_url"], "secret": secret}

    # Inbound: its webhook, through the real pipeline, opens a ticket in the default queue.
    delivery = {"messages": [{"id": "in-1", "from": "cliente-7", "name": "Ana", "text": "Oi"}]}
    received = host_client(PLATFORM_HOST).post(
        f"/webhooks/throwaway/{connection.webhook_token}/",
        data=json.dumps(delivery),
        content_type="application/json",
        **{f"HTTP_{SECRET_HEADER.upper().replace('-', '_')}": secret},
    )
    forged = host_client(PLATFORM_HOST).post(
        f"/webhooks/throwaway/{connection.webhook_token}/",
        data=json.dumps(delivery),
        content_type="application/json",
    )
    assert received.status_code == 200, received.content
    assert forged.status_code == 403
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get(connection=connection)
        assert (ticket.contact.name, ticket.queue_id) == ("Ana", queue.pk)
        assert list(ticket.messages.values_list("sender", "body")) == [
            ("contact", "Oi"),
            ("system", "Olá, Ana!"),
        ]

    # Outbound: an agent's reply leaves through the real outbound pipeline to the provider.
    with tenant_scope(alpha.tenant):
        agent = AdminFactory()
        ticket.status, ticket.assignee = Ticket.Status.OPEN, agent
        ticket.save(update_fields=["status", "assignee"])
        with django_capture_on_commit_callbacks(execute=True):
            reply = message_send(ticket=ticket, by=agent, body="Em que posso ajudar?")
        outbound_message_deliver_task.apply(args=(reply.delivery.pk,))
        reply.refresh_from_db()
        assert (reply.status, reply.provider_message_id) == (Message.Status.SENT, "tw-1")
        assert OutboundDelivery.objects.get(message=reply).status == "sent"
    sent = [
        json.loads(call.request.content)
        for call in provider_api.calls
        if call.request.url.path == "/messages"
    ]
    assert {"to": "cliente-7", "text": "Em que posso ajudar?"}.items() <= sent[-1].items()
