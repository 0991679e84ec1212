"""Connecting a bot: getMe checks the token, setWebhook points Telegram at the connection's own
URL with a secret token; disabling deletes the webhook."""

import json

import httpx
import pytest
import respx
from django.utils import translation

from accounts.tests.factories import AdminFactory
from channels_integrations.providers.telegram.tests.support import (
    TOKEN,
    api_url,
    error,
    ok,
    telegram_connection,
)
from channels_integrations.services.connections import (
    connection_create,
    connection_disable,
    connection_webhook_url,
)
from conftest import sign_in_api
from connections.errors import CredentialsRejected, ProviderUnreachable
from connections.models import ChannelConnection
from core.exceptions import FieldValidationError
from tenants.models import ChannelRoute
from tenants.tenancy import public_scope, tenant_scope


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


@respx.mock
def test_a_bot_is_checked_and_its_webhook_set_with_a_secret_token(in_alpha, settings):
    get_me = respx.post(api_url("getMe")).mock(return_value=ok("getMe.json"))
    set_webhook = respx.post(api_url("setWebhook")).mock(return_value=ok("setWebhook.json"))

    connection = connection_create(
        by=AdminFactory(), provider="telegram", name="Loja", credentials={"bot_token": TOKEN}
    )

    assert get_me.call_count == 1
    sent = json.loads(set_webhook.calls.last.request.content)
    url = f"{settings.WEBHOOK_BASE_URL}/webhooks/telegram/{connection.webhook_token}/"
    assert sent == {
        "url": url,
        "secret_token": connection.credentials["webhook_secret"],
        "allowed_updates": ["message", "edited_message", "callback_query"],
    }
    assert len(sent["secret_token"]) >= 32
    assert connection_webhook_url(connection) == url
    assert (connection.status, connection.details["bot_username"]) == ("connected", "loja_bot")
    with public_scope():
        routes = set(ChannelRoute.objects.values_list("provider", "external_account_id"))
    assert routes == {("telegram", connection.webhook_token), ("telegram", "bot:5555555555")}


@respx.mock
def test_a_revoked_token_is_refused(in_alpha):
    respx.post(api_url("getMe")).mock(return_value=error("error_unauthorized.json"))

    with pytest.raises(CredentialsRejected) as exc, translation.override("en"):
        connection_create(
            by=AdminFactory(), provider="telegram", name="Loja", credentials={"bot_token": TOKEN}
        )

    # Under the token field, saying what to do (not Telegram's bare "Unauthorized").
    (reason,) = exc.value.extra["fields"]["credentials"]["bot_token"]
    assert reason.startswith("Telegram did not accept this token.")
    assert "@BotFather" in reason
    assert exc.value.extra["provider_code"] == "unauthorized"


def test_a_token_of_the_wrong_shape_never_reaches_telegram(in_alpha):
    with respx.mock(assert_all_called=False) as api, pytest.raises(FieldValidationError) as exc:
        connection_create(
            by=AdminFactory(), provider="telegram", name="Loja", credentials={"bot_token": "abc"}
        )

    assert "bot_token" in exc.value.extra["fields"]["credentials"]
    assert api.calls.call_count == 0


@respx.mock
def test_a_webhook_telegram_refuses_leaves_the_connection_in_error_with_the_reason(in_alpha):
    respx.post(api_url("getMe")).mock(return_value=ok("getMe.json"))
    respx.post(api_url("setWebhook")).mock(return_value=error("error_bad_webhook.json"))

    connection = connection_create(
        by=AdminFactory(), provider="telegram", name="Loja", credentials={"bot_token": TOKEN}
    )

    assert connection.status == "error"
    assert connection.status_detail == (
        "Bad Request: bad webhook: HTTPS url must be provided for webhook"
    )


def test_disabling_deletes_the_webhook(alpha):
    connection = telegram_connection(alpha.tenant)

    with respx.mock, tenant_scope(alpha.tenant):
        delete = respx.post(api_url("deleteWebhook")).mock(return_value=ok("deleteWebhook.json"))
        connection_disable(connection=connection, by=AdminFactory())

    assert delete.call_count == 1
    with public_scope():
        assert not ChannelRoute.objects.exists()


@respx.mock
def test_a_network_error_while_checking_is_temporary(in_alpha):
    respx.post(api_url("getMe")).mock(side_effect=httpx.ConnectError("connection refused"))
    admin = AdminFactory()

    with pytest.raises(ProviderUnreachable):
        connection_create(
            by=admin, provider="telegram", name="Loja", credentials={"bot_token": TOKEN}
        )


@respx.mock
def test_over_the_api_the_token_and_secret_come_back_masked(alpha, api_alpha, settings):
    respx.post(api_url("getMe")).mock(return_value=ok("getMe.json"))
    respx.post(api_url("setWebhook")).mock(return_value=ok("setWebhook.json"))
    sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)

    response = api_alpha.post(
        "/api/v1/connections/",
        {"provider": "telegram", "name": "Loja", "credentials": {"bot_token": TOKEN}},
        format="json",
    )
    listed = api_alpha.get("/api/v1/connections/")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credentials"]["bot_token"] == "••••sawQ"
    assert body["credentials"]["webhook_secret"].startswith("••••")
    assert body["details"]["bot_username"] == "loja_bot"
    assert body["webhook_url"].startswith(f"{settings.WEBHOOK_BASE_URL}/webhooks/telegram/")
    with tenant_scope(alpha.tenant):
        secret = ChannelConnection.objects.get().credentials["webhook_secret"]
    for text in (response.content.decode(), listed.content.decode()):
        assert TOKEN not in text
        assert TOKEN.split(":")[1][:20] not in text
        assert secret not in text
