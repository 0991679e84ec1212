"""Helpers of the Telegram tests: documented payloads, a simulated Bot API, a connected bot."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import respx
from django.conf import settings

from accounts.tests.factories import AdminFactory
from channels_integrations.services.connections import connection_create
from conftest import host_client
from tenants.tenancy import tenant_scope

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "5555555555:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def api_url(method: str, token: str = TOKEN) -> str:
    return f"{settings.TELEGRAM_API_BASE_URL}/bot{token}/{method}"


def file_url(path: str, token: str = TOKEN) -> str:
    return f"{settings.TELEGRAM_API_BASE_URL}/file/bot{token}/{path}"


def ok(name: str) -> httpx.Response:
    return httpx.Response(200, json=fixture(name))


def error(name: str) -> httpx.Response:
    body = fixture(name)
    return httpx.Response(body["error_code"], json=body)


def get_me(token: str = TOKEN) -> httpx.Response:
    """getMe's answer for the bot of ``token`` (a token starts with its bot's id)."""
    body = fixture("getMe.json")
    body["result"]["id"] = int(token.partition(":")[0])
    return httpx.Response(200, json=body)


def telegram_connection(tenant, *, token=TOKEN, name="Loja Bot"):
    """A Telegram connection created through the service, as an admin would, with getMe and
    setWebhook answered by the simulated Bot API."""
    with respx.mock(assert_all_called=False) as api, tenant_scope(tenant):
        api.post(api_url("getMe", token)).mock(return_value=get_me(token))
        api.post(api_url("setWebhook", token)).mock(return_value=ok("setWebhook.json"))
        return connection_create(
            by=AdminFactory(), provider="telegram", name=name, credentials={"bot_token": token}
        )


def post_update(connection, body, *, secret=None, token=None):
    """POST an update to the connection's webhook URL on the platform host, as Telegram does."""
    headers = {}
    if secret is None:
        secret = connection.credentials["webhook_secret"]
    if secret:
        headers["HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"] = secret
    return host_client("localhost").post(
        f"/webhooks/telegram/{token or connection.webhook_token}/",
        data=body,
        content_type="application/json",
        **headers,
    )
