"""Compatible subscriptions get the original's callback bodies, with the ``externalKey`` of
the external API request that started the ticket."""

from __future__ import annotations

import json

from accounts.tests.factories import AdminFactory
from conftest import host_api_client
from contacts.models import Contact
from integrations.models import WebhookDelivery
from integrations.services.webhooks import webhook_create
from integrations.tests.factories import api_key_make
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.services import ReceivedMessage, message_receive, message_status_update
from tickets.tests.factories import ConnectionFactory


def test_status_and_inbound_callbacks_carry_the_external_key(
    alpha, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with tenant_scope(alpha.tenant):
        connection = ConnectionFactory(provider="whatsapp_cloud")
        key, secret = api_key_make(connection=connection)
        compatible, _s = webhook_create(
            by=AdminFactory(),
            name="Original",
            url="http://127.0.0.1:9/hooks",
            event_types=["hookMessage", "hookMessageStatus"],
            format="compatible",
        )
        standard, _s = webhook_create(
            by=AdminFactory(),
            name="New",
            url="http://127.0.0.1:9/new",
            event_types=["message.created"],
        )
    api = host_api_client(alpha.host)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(
            f"/v1/api/external/{key.public_id}",
            {"body": "Pedido 42", "number": "5511999998888", "externalKey": "PED-42"},
            format="json",
        )
    with tenant_scope(alpha.tenant):
        message = Message.objects.get(public_id=sent.json()["messageId"])
        Message.objects.filter(pk=message.pk).update(provider_message_id="wamid.1")
        with django_capture_on_commit_callbacks(execute=True):
            message_status_update(
                connection=connection, provider_message_id="wamid.1", status="delivered"
            )
        with django_capture_on_commit_callbacks(execute=True):
            message_receive(
                received=ReceivedMessage(
                    connection=connection,
                    contact=Contact.objects.get(phone="+5511999998888"),
                    body="Obrigado",
                    provider_message_id="wamid.in.1",
                )
            )
        bodies = [
            json.loads(d.body)
            for d in WebhookDelivery.objects.filter(subscription=compatible).order_by("id")
        ]
        standard_bodies = [
            json.loads(d.body)
            for d in WebhookDelivery.objects.filter(subscription=standard).order_by("id")
        ]

    assert bodies[0] == {
        "ack": 2,
        "messageId": str(message.public_id),
        "externalKey": "PED-42",
        "type": "hookMessageStatus",
    }
    assert bodies[1]["type"] == "hookMessage"
    assert bodies[1]["externalKey"] == "PED-42"
    assert bodies[1]["message"]["body"] == "Obrigado"
    assert set(bodies[1]) == {
        "timestamp",
        "message",
        "messageId",
        "ticketId",
        "externalKey",
        "type",
    }
    assert [b["data"]["external_key"] for b in standard_bodies] == ["PED-42", "PED-42"]
