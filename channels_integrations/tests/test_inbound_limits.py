"""Bodies the public inbound endpoints refuse or clean (docs/inbound.md, "Bodies we refuse"):
too deep, too big, not JSON, and text PostgreSQL cannot store (NUL, lone surrogates).

Every request goes through the real URL conf and middleware with DEBUG off, and server errors
are answered (not raised), as in production.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from channels_integrations.models import InboundEvent
from channels_integrations.providers.meta.signatures import sign
from channels_integrations.tests.support import process_all, whatsapp_and_telegram
from channels_integrations.tests.webchat_support import base, make_widget, token_for
from channels_integrations.views import META_WEBHOOK_MAX_BYTES, WEBHOOK_MAX_BYTES
from channels_integrations.widget_views import WIDGET_JSON_MAX_BYTES
from conftest import host_client
from tenants.tenancy import tenant_scope
from tickets.models import Message

PHONE = "551100000077"
APP_SECRET = "limits-app-secret"
TG_SECRET = "limits-tg-secret"
DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


@pytest.fixture(autouse=True)
def _production(settings) -> None:
    settings.DEBUG = False


def _client(host: str = "localhost") -> Client:
    client = host_client(host)
    client.raise_request_exception = False  # a crash is a 500 answer, as in production
    return client


def _whatsapp(text: str, *, message_id: str = "wamid.limits") -> bytes:
    # https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples#text-messages
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511999990000"}],
        "messages": [
            {
                "from": "5511999990000",
                "id": message_id,
                "timestamp": "1749416383",
                "type": "text",
                "text": {"body": text},
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


def _telegram(text: str) -> bytes:
    # https://core.telegram.org/bots/api#update
    user = {"id": 42, "is_bot": False, "first_name": "Ana"}
    message = {
        "message_id": 1,
        "from": user,
        "chat": {**user, "type": "private"},
        "date": 1700000000,
        "text": text,
    }
    return json.dumps({"update_id": 1, "message": message}).encode()


def _connections(tenant):
    return whatsapp_and_telegram(tenant, phone=PHONE, app_secret=APP_SECRET, tg_secret=TG_SECRET)


def _meta(body: bytes, *, signed: bool = True):
    headers = {"HTTP_X_HUB_SIGNATURE_256": sign(body, APP_SECRET)} if signed else {}
    return _client().post("/webhooks/meta/", body, "application/json", **headers)  # type: ignore[arg-type]


def _tg(connection, body: bytes, *, signed: bool = True):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": TG_SECRET} if signed else {}
    url = f"/webhooks/telegram/{connection.webhook_token}/"
    return _client().post(url, body, "application/json", **headers)  # type: ignore[arg-type]


def _events(tenant) -> int:
    with tenant_scope(tenant):
        return InboundEvent.objects.count()


def _texts(tenant) -> list[str]:
    with tenant_scope(tenant):
        return list(Message.objects.order_by("pk").values_list("body", flat=True))


def _refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message", "extra"}


# --------------------------------------------------------------------------- 1. too deep


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_too_deep_webhooks_are_refused_with_400(alpha, body, signed) -> None:
    _, tg = _connections(alpha.tenant)
    _refused(_meta(body, signed=signed), 400, "webhook_malformed")
    # Telegram's secret is checked first: only a delivery that carries it is parsed.
    telegram = _tg(tg, body, signed=signed)
    expected = (400, "webhook_malformed") if signed else (403, "webhook_forbidden")
    _refused(telegram, *expected)
    assert _events(alpha.tenant) == 0


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_too_deep_widget_bodies_are_refused_with_400(alpha, body) -> None:
    widget = make_widget(alpha.tenant)
    client = _client(alpha.host)
    start = client.post(base(widget) + "api/start", body, "application/json")
    _refused(start, 400, "invalid_json")
    token = token_for(alpha, widget)
    response = client.post(
        base(widget) + "api/messages", body, "application/json", HTTP_X_VISITOR_TOKEN=token
    )
    _refused(response, 400, "invalid_json")
    assert _events(alpha.tenant) == 0


# --------------------------------------------------------------------------- 2. NUL, surrogates

DIRTY = "Ol\u0000á \ud800mundo"
CLEAN = "Olá \ufffdmundo"


def test_signed_meta_text_with_nul_and_surrogate_is_stored_cleaned(alpha) -> None:
    _connections(alpha.tenant)
    response = _meta(_whatsapp(DIRTY))
    assert response.status_code == 200, response.content
    process_all(alpha.tenant)
    assert _texts(alpha.tenant) == [CLEAN]


def test_telegram_text_with_nul_and_surrogate_is_stored_cleaned(alpha) -> None:
    _, tg = _connections(alpha.tenant)
    response = _tg(tg, _telegram(DIRTY))
    assert response.status_code == 200, response.content
    process_all(alpha.tenant)
    assert _texts(alpha.tenant) == [CLEAN]


def test_widget_visitor_name_and_text_are_stored_cleaned(alpha) -> None:
    widget = make_widget(alpha.tenant)
    client = _client(alpha.host)
    started = client.post(
        base(widget) + "api/start", json.dumps({"name": "Ma\u0000ria\udfff"}), "application/json"
    )
    assert started.status_code == 201, started.content
    assert started.json()["name"] == "Maria\ufffd"
    response = client.post(
        base(widget) + "api/messages",
        json.dumps({"client_id": "client-0001", "text": DIRTY}),
        "application/json",
        HTTP_X_VISITOR_TOKEN=started.json()["token"],
    )
    assert response.status_code == 202, response.content
    process_all(alpha.tenant)
    assert _texts(alpha.tenant)[-1] == CLEAN


# --------------------------------------------------------------------------- 3. size


def test_webhook_bodies_over_the_limit_are_refused_with_413(alpha) -> None:
    _, tg = _connections(alpha.tenant)
    huge = "x" * META_WEBHOOK_MAX_BYTES  # over Meta's documented 3 MB once wrapped
    response = _meta(_whatsapp(huge))
    _refused(response, 413, "request_too_large")
    assert response.json()["extra"]["max_bytes"] == META_WEBHOOK_MAX_BYTES
    response = _tg(tg, _telegram("x" * WEBHOOK_MAX_BYTES))
    _refused(response, 413, "request_too_large")
    assert response.json()["extra"]["max_bytes"] == WEBHOOK_MAX_BYTES
    assert _events(alpha.tenant) == 0


def test_widget_json_over_the_limit_is_refused_with_413(alpha) -> None:
    widget = make_widget(alpha.tenant)
    client = _client(alpha.host)
    big = json.dumps({"name": "x" * WIDGET_JSON_MAX_BYTES})
    response = client.post(base(widget) + "api/start", big, "application/json")
    _refused(response, 413, "request_too_large")
    assert response.json()["extra"]["max_bytes"] == WIDGET_JSON_MAX_BYTES


def test_long_texts_within_the_body_limit_are_stored_truncated_with_a_marker(alpha) -> None:
    from channels_integrations.services.inbound import MESSAGE_TEXT_MAX_CHARS
    from core.text import TRUNCATION_MARKER

    _, tg = _connections(alpha.tenant)
    long_text = "é" * (MESSAGE_TEXT_MAX_CHARS + 500)  # a signed body under Meta's 3 MB
    assert _meta(_whatsapp(long_text)).status_code == 200
    process_all(alpha.tenant)
    (stored,) = _texts(alpha.tenant)
    assert stored == "é" * MESSAGE_TEXT_MAX_CHARS + TRUNCATION_MARKER
