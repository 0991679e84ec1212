"""R9: webhook authentication, every way of getting it wrong.

Meta (X-Hub-Signature-256 over the raw body with the connection's app secret; WhatsApp and
Messenger bodies) and Telegram (X-Telegram-Bot-Api-Secret-Token equal to the secret given in
setWebhook): missing, forged, a wrong app secret, another tenant's secret, the old SHA-1
scheme, a signature of another body, truncated, wrong case of the scheme. Every attempt must be
refused with 403 in the error shape and store no event in either tenant; the genuine delivery
afterwards is stored once.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from channels_integrations.models import InboundEvent
from channels_integrations.providers.meta.signatures import sign
from channels_integrations.tests.support import whatsapp_and_telegram
from conftest import host_client
from tenants.channel_routes import channel_routes_set
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory

PHONE_A, PHONE_B = "551100000001", "551100000002"
PAGE_A = "682498302938465"


def _whatsapp(phone: str) -> bytes:
    # https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511999990000"}],
        "messages": [
            {
                "from": "5511999990000",
                "id": "wamid.r9",
                "timestamp": "1749416383",
                "type": "text",
                "text": {"body": "oi"},
            }
        ],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
        }
    ).encode()


def _messenger(page: str) -> bytes:
    # https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages
    event = {
        "sender": {"id": "1254477777772919"},
        "recipient": {"id": page},
        "timestamp": 1458692752478,
        "message": {"mid": "m_r9", "text": "oi"},
    }
    return json.dumps(
        {"object": "page", "entry": [{"id": page, "time": 1458692752478, "messaging": [event]}]}
    ).encode()


def _telegram() -> bytes:
    # https://core.telegram.org/bots/api#update
    user = {"id": 42, "is_bot": False, "first_name": "Ana"}
    return json.dumps(
        {
            "update_id": 1,
            "message": {"message_id": 1, "from": user, "chat": {**user, "type": "private"},
                        "date": 1700000000, "text": "oi"},
        }
    ).encode()  # fmt: skip


def _connections(tenant, phone: str, app_secret: str, tg_secret: str):
    return whatsapp_and_telegram(tenant, phone=phone, app_secret=app_secret, tg_secret=tg_secret)


def _page(tenant, page_id: str, app_secret: str) -> None:
    with tenant_scope(tenant):
        page = ConnectionFactory(
            provider="messenger",
            credentials={"app_secret": app_secret, "page_id": page_id, "page_access_token": "x"},
        )
        channel_routes_set(
            provider="messenger", connection_public_id=page.public_id, keys=[page_id]
        )


def _events(*tenants) -> int:
    total = 0
    for tenant in tenants:
        with tenant_scope(tenant):
            total += InboundEvent.objects.count()
    return total


def test_r9_forged_webhooks_are_refused_and_store_nothing(alpha, beta, report_figure) -> None:
    _connections(alpha.tenant, PHONE_A, "alpha-app-secret", "alpha-tg-secret")
    _, tg = _connections(alpha.tenant, PHONE_A + "9", "unused", "alpha-tg-secret")
    _connections(beta.tenant, PHONE_B, "beta-app-secret", "beta-tg-secret")
    _page(alpha.tenant, PAGE_A, "alpha-app-secret")
    client = host_client("localhost")
    tg_body = _telegram()

    def meta_variants(body: bytes) -> dict[str, str | None]:
        good = sign(body, "alpha-app-secret")
        return {
            "missing": None,
            "empty": "",
            "forged": "sha256=" + "f" * 64,
            "wrong app secret": sign(body, "not-our-app-secret"),
            "other tenant's secret": sign(body, "beta-app-secret"),
            "SHA-1 scheme": "sha1=" + hmac.new(b"alpha-app-secret", body, hashlib.sha1).hexdigest(),
            "signature of another body": sign(body + b" ", "alpha-app-secret"),
            "truncated": good[:-8],
            "scheme in capitals": good.replace("sha256=", "SHA256="),
            "no scheme": good.removeprefix("sha256="),
        }

    meta_bodies = {"WhatsApp": _whatsapp(PHONE_A), "Messenger": _messenger(PAGE_A)}
    telegram_headers = {
        "missing": None,
        "empty": "",
        "forged": "x" * 32,
        "other tenant's secret": "beta-tg-secret",
        "truncated": "alpha-tg-secre",
        "with spaces": " alpha-tg-secret ",
    }
    attempts = refused = meta_attempts = 0
    for shape, body in meta_bodies.items():
        for label, header in meta_variants(body).items():
            extra = {} if header is None else {"HTTP_X_HUB_SIGNATURE_256": header}
            response = client.post("/webhooks/meta/", body, "application/json", **extra)  # type: ignore[arg-type]
            attempts += 1
            meta_attempts += 1
            refused += (
                response.status_code == 403 and response.json()["code"] == "webhook_forbidden"
            )
            assert response.status_code == 403, (shape, label, response.content)
    for label, header in telegram_headers.items():
        extra = {} if header is None else {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": header}
        url = f"/webhooks/telegram/{tg.webhook_token}/"
        response = client.post(url, tg_body, "application/json", **extra)  # type: ignore[arg-type]
        attempts += 1
        refused += response.status_code == 403 and response.json()["code"] == "webhook_forbidden"
        assert response.status_code == 403, (label, response.content)
    stored_after_attempts = _events(alpha.tenant, beta.tenant)

    wa_body = meta_bodies["WhatsApp"]
    genuine = client.post(
        "/webhooks/meta/",
        wa_body,
        "application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(wa_body, "alpha-app-secret"),
    )
    assert genuine.status_code == 200
    report_figure(
        f"R9: {refused}/{attempts} forged or unsigned webhooks refused with 403 "
        f"({meta_attempts} Meta: WhatsApp and Messenger bodies, {len(telegram_headers)} "
        f"Telegram), {stored_after_attempts} events stored in either tenant; "
        f"the genuine one stored {genuine.json()['stored']} time"
    )
    assert refused == attempts
    assert stored_after_attempts == 0
    assert genuine.json()["stored"] == 1
