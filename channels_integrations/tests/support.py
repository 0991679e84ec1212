"""Helpers of the channels tests: routed sample connections, signed deliveries, processing."""

from __future__ import annotations

import json
import secrets

from channels_integrations.models import InboundEvent
from channels_integrations.providers.meta.signatures import sign as meta_sign
from channels_integrations.tasks import inbound_event_process_task
from channels_integrations.tests.sample_provider import sign
from conftest import host_client
from tenants.channel_routes import channel_routes_set
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory

PLATFORM_HOST = "localhost"
SECRET = "sample-secret-0001"


def sample_connection(tenant, *, secret=SECRET, account="", shared=False, **fields):
    """A sample connection of ``tenant`` with its route (token or shared account)."""
    provider = "sample_shared" if shared else "sample"
    with tenant_scope(tenant):
        connection = ConnectionFactory(
            provider=provider,
            credentials={"secret": secret, "account": account},
            webhook_token="" if shared else secrets.token_urlsafe(24),
            **fields,
        )
        channel_routes_set(
            provider=provider,
            connection_public_id=connection.public_id,
            keys=[account] if shared else [connection.webhook_token],
        )
    return connection


def body_of(*items, account=""):
    return json.dumps({"account": account, "items": list(items)}).encode()


def text_item(event_id="e1", sender="chat-1", text="Olá!", **extra):
    return {"id": event_id, "from": sender, "name": "Ana", "text": text, **extra}


def post_webhook(connection, body, *, secret=SECRET, signature=None, token=None):
    """POST a delivery to the connection's per-connection URL on the platform host."""
    headers = {}
    if signature is None:
        signature = sign(secret, body)
    if signature:
        headers["HTTP_X_SAMPLE_SIGNATURE"] = signature
    return host_client(PLATFORM_HOST).post(
        f"/webhooks/{connection.provider}/{token or connection.webhook_token}/",
        data=body,
        content_type="application/json",
        **headers,
    )


def process_all(tenant):
    """Run the processing task (for real, in this process) for every waiting event."""
    with tenant_scope(tenant):
        for event_id in InboundEvent.objects.filter(
            status=InboundEvent.Status.RECEIVED
        ).values_list("pk", flat=True):
            inbound_event_process_task.apply(args=(event_id,))


META_URL = "/webhooks/meta/"


def meta_connection(tenant, provider, *, route_key, secret, **credentials):
    """A connected WhatsApp Cloud, Messenger or Instagram connection of ``tenant``, routed by
    ``route_key`` (phone number id, page id, Instagram account id) on /webhooks/meta/."""
    with tenant_scope(tenant):
        connection = ConnectionFactory(
            provider=provider,
            credentials={"app_secret": secret, **credentials},
            status="connected",
        )
        channel_routes_set(
            provider=provider, connection_public_id=connection.public_id, keys=[route_key]
        )
    return connection


def post_meta(body, *, secret=None, header=None):
    """POST ``body`` to /webhooks/meta/ as Meta does: signed with the app ``secret`` (an
    ``X-Hub-Signature-256`` of the raw body) unless ``header`` is given; unsigned without
    either."""
    signature = header if header is not None else (meta_sign(body, secret) if secret else None)
    headers = {} if signature is None else {"HTTP_X_HUB_SIGNATURE_256": signature}
    return host_client(PLATFORM_HOST).post(
        META_URL, data=body, content_type="application/json", **headers
    )


def whatsapp_and_telegram(tenant, *, phone: str, app_secret: str, tg_secret: str):
    """A routed WhatsApp Cloud connection (number ``phone``, signed with ``app_secret``) and a
    routed Telegram one (secret token ``tg_secret``) of ``tenant``."""
    with tenant_scope(tenant):
        wa = ConnectionFactory(
            provider="whatsapp_cloud",
            credentials={"app_secret": app_secret, "phone_number_id": phone, "access_token": "x"},
        )
        tg = ConnectionFactory(
            provider="telegram",
            credentials={"bot_token": "1:x", "webhook_secret": tg_secret},
            webhook_token=secrets.token_urlsafe(24),
        )
        channel_routes_set(
            provider="whatsapp_cloud", connection_public_id=wa.public_id, keys=[phone]
        )
        channel_routes_set(
            provider="telegram", connection_public_id=tg.public_id, keys=[tg.webhook_token]
        )
    return wa, tg


# The WhatsApp phone number ids of the sample webhook fixtures (alpha's) and of beta's number.
WHATSAPP_PHONE_ALPHA = "106540352242922"
WHATSAPP_PHONE_BETA = "106540352249999"


def whatsapp_numbers(alpha, beta) -> dict:
    """One WhatsApp Cloud connection per tenant, each verified by its own app secret."""
    return {
        "alpha": meta_connection(
            alpha.tenant,
            "whatsapp_cloud",
            route_key=WHATSAPP_PHONE_ALPHA,
            secret="alpha-app-secret",
            phone_number_id=WHATSAPP_PHONE_ALPHA,
            access_token="x",
        ),
        "beta": meta_connection(
            beta.tenant,
            "whatsapp_cloud",
            route_key=WHATSAPP_PHONE_BETA,
            secret="beta-app-secret",
            phone_number_id=WHATSAPP_PHONE_BETA,
            access_token="y",
        ),
    }
