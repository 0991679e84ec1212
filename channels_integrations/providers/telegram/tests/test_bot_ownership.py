"""A Telegram bot belongs to one connection at a time, across every tenant: connecting a bot that
is connected elsewhere is refused before any webhook call (setWebhook would silently take the
bot's updates away from its owner), and disabling or deleting a connection never deletes the
webhook of a bot that another connection holds. The bot id (from getMe) is the account."""

from __future__ import annotations

import json

import pytest
import respx

from accounts.models import User
from accounts.tests.factories import AdminFactory
from channels_integrations.providers.telegram.tests.support import (
    TOKEN,
    api_url,
    fixture,
    get_me,
    ok,
    telegram_connection,
)
from channels_integrations.services.connections import connection_create
from conftest import host_client, sign_in_api
from connections.models import ChannelConnection
from tenants.errors import ChannelAccountTaken
from tenants.models import ChannelRoute
from tenants.tenancy import public_scope, tenant_scope
from tests.support.concurrency import in_thread, run_in_threads

URL = "/api/v1/connections/"
BOT_ID = fixture("getMe.json")["result"]["id"]
# Another bot of the same tenant, for changing a connection's token.
OTHER_TOKEN = "7777777777:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"


@pytest.fixture
def bot_api():
    """The Bot API of both bots; every webhook call is recorded."""
    with respx.mock(assert_all_called=False) as api:
        for token, bot_id in ((TOKEN, BOT_ID), (OTHER_TOKEN, 7777777777)):
            api.post(api_url("getMe", token), name=f"getMe {bot_id}").mock(
                return_value=get_me(token)
            )
            api.post(api_url("setWebhook", token), name=f"setWebhook {bot_id}").mock(
                return_value=ok("setWebhook.json")
            )
            api.post(api_url("deleteWebhook", token), name=f"deleteWebhook {bot_id}").mock(
                return_value=ok("deleteWebhook.json")
            )
        yield api


@pytest.fixture
def alpha_admin(alpha, api_alpha):
    return sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)


def _webhook_calls(api: respx.MockRouter, bot_id: int = BOT_ID) -> int:
    return api[f"setWebhook {bot_id}"].call_count + api[f"deleteWebhook {bot_id}"].call_count


def _create(api, token: str = TOKEN):
    body = {"provider": "telegram", "name": "Bot", "credentials": {"bot_token": token}}
    return api.post(URL, body, format="json")


def _routes_of(tenant) -> set[str]:
    with public_scope():
        return set(
            ChannelRoute.objects.filter(tenant=tenant).values_list("external_account_id", flat=True)
        )


def _bot_claimed_by(tenant) -> bool:
    return f"bot:{BOT_ID}" in _routes_of(tenant)


def _released_claim(connection) -> None:
    """The state of a connection made before bots were claimed: only its webhook route."""
    with public_scope():
        ChannelRoute.objects.filter(
            connection_public_id=connection.public_id, external_account_id=f"bot:{BOT_ID}"
        ).delete()


def test_a_connected_bot_is_claimed_by_its_id(alpha):
    connection = telegram_connection(alpha.tenant)

    assert _routes_of(alpha.tenant) == {connection.webhook_token, f"bot:{BOT_ID}"}


def test_a_bot_connected_at_another_tenant_is_refused_before_any_webhook_call(
    alpha, beta, alpha_admin, bot_api
):
    held = telegram_connection(beta.tenant)
    beta_routes = _routes_of(beta.tenant)
    calls = _webhook_calls(bot_api)

    response = _create(alpha_admin)

    assert (response.status_code, response.json()["code"]) == (409, "channel_account_taken")
    assert bot_api[f"getMe {BOT_ID}"].called
    assert _webhook_calls(bot_api) == calls
    assert "beta" not in response.content.decode().lower()
    with tenant_scope(alpha.tenant):
        assert not ChannelConnection.objects.exists()
    assert _routes_of(alpha.tenant) == set()
    assert _routes_of(beta.tenant) == beta_routes
    with tenant_scope(beta.tenant):
        assert ChannelConnection.objects.get().status == held.status == "connected"


def test_a_second_connection_of_the_same_bot_in_one_tenant_is_refused(alpha, alpha_admin, bot_api):
    assert _create(alpha_admin).status_code == 201
    setwebhooks = bot_api[f"setWebhook {BOT_ID}"].call_count

    response = _create(alpha_admin)

    assert (response.status_code, response.json()["code"]) == (409, "channel_account_taken")
    assert bot_api[f"setWebhook {BOT_ID}"].call_count == setwebhooks


def test_changing_a_token_to_a_bot_held_elsewhere_is_refused(alpha, beta, alpha_admin, bot_api):
    telegram_connection(beta.tenant)
    mine = _create(alpha_admin, OTHER_TOKEN).json()
    calls = _webhook_calls(bot_api)

    response = alpha_admin.patch(
        f"{URL}{mine['id']}/", {"credentials": {"bot_token": TOKEN}}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "channel_account_taken")
    assert _webhook_calls(bot_api) == calls
    with tenant_scope(alpha.tenant):
        assert ChannelConnection.objects.get().credentials["bot_token"] == OTHER_TOKEN


def test_enabling_a_connection_whose_bot_was_taken_meanwhile_is_refused(
    alpha, beta, alpha_admin, bot_api
):
    mine = _create(alpha_admin).json()
    assert alpha_admin.post(f"{URL}{mine['id']}/disable/").status_code == 200
    telegram_connection(beta.tenant)
    calls = _webhook_calls(bot_api)

    response = alpha_admin.post(f"{URL}{mine['id']}/enable/")

    assert (response.status_code, response.json()["code"]) == (409, "channel_account_taken")
    assert _webhook_calls(bot_api) == calls
    assert _routes_of(alpha.tenant) == set()


def test_checking_a_connection_whose_bot_another_tenant_holds_never_sets_its_webhook(
    alpha, beta, alpha_admin, bot_api
):
    mine = _create(alpha_admin).json()
    with tenant_scope(alpha.tenant):
        _released_claim(ChannelConnection.objects.get())
    telegram_connection(beta.tenant)
    calls = _webhook_calls(bot_api)

    response = alpha_admin.post(f"{URL}{mine['id']}/check/")

    assert (response.status_code, response.json()["code"]) == (409, "channel_account_taken")
    assert _webhook_calls(bot_api) == calls


@pytest.mark.parametrize("action", ["disable", "delete"])
def test_leaving_a_bot_another_tenant_holds_never_deletes_its_webhook(
    alpha, beta, alpha_admin, bot_api, action
):
    mine = _create(alpha_admin).json()
    with tenant_scope(alpha.tenant):
        _released_claim(ChannelConnection.objects.get())
    telegram_connection(beta.tenant)
    beta_routes = _routes_of(beta.tenant)

    if action == "disable":
        response = alpha_admin.post(f"{URL}{mine['id']}/disable/")
    else:
        response = alpha_admin.delete(f"{URL}{mine['id']}/")

    assert response.status_code in (200, 204), response.content
    assert bot_api[f"deleteWebhook {BOT_ID}"].call_count == 0
    assert _routes_of(alpha.tenant) == set()
    assert _routes_of(beta.tenant) == beta_routes


@pytest.mark.parametrize("action", ["disable", "delete"])
def test_leaving_an_own_bot_deletes_its_webhook_while_still_holding_it(
    alpha, beta, alpha_admin, bot_api, action
):
    mine = _create(alpha_admin).json()
    held_during_call: list[bool] = []

    def delete_webhook(request):
        held_during_call.append(_bot_claimed_by(alpha.tenant))
        return ok("deleteWebhook.json")

    bot_api[f"deleteWebhook {BOT_ID}"].mock(side_effect=delete_webhook)

    if action == "disable":
        response = alpha_admin.post(f"{URL}{mine['id']}/disable/")
    else:
        response = alpha_admin.delete(f"{URL}{mine['id']}/")

    assert response.status_code in (200, 204), response.content
    # Nobody could claim the bot between our last look and deleteWebhook.
    assert held_during_call == [True]
    assert _routes_of(alpha.tenant) == set()
    with tenant_scope(beta.tenant):
        telegram_connection(beta.tenant)
    assert _bot_claimed_by(beta.tenant)


def test_the_bot_claim_is_no_webhook_url(alpha):
    connection = telegram_connection(alpha.tenant)
    body = json.dumps(fixture("message_text.json")).encode()
    secret = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": connection.credentials["webhook_secret"]}

    by_claim = host_client("localhost").post(
        f"/webhooks/telegram/bot:{BOT_ID}/", data=body, content_type="application/json", **secret
    )
    unknown = host_client("localhost").post(
        "/webhooks/telegram/no-such-token/", data=body, content_type="application/json", **secret
    )

    assert by_claim.status_code == unknown.status_code == 404


def test_two_tenants_connecting_one_bot_at_once_leave_it_to_one(alpha, beta, bot_api):
    tenants = [alpha.tenant, beta.tenant]
    admins: dict[int, int] = {}

    def connect(index: int) -> str:
        with tenant_scope(tenants[index]):
            admin = AdminFactory.create()
            admins[index] = admin.pk
            try:
                connection_create(
                    by=admin, provider="telegram", name="Bot", credentials={"bot_token": TOKEN}
                )
            except ChannelAccountTaken:
                return "refused"
            return "connected"

    def cleanup() -> None:
        for index, tenant in enumerate(tenants):
            with tenant_scope(tenant):
                for connection in ChannelConnection.objects.all():
                    with public_scope():
                        ChannelRoute.objects.filter(
                            connection_public_id=connection.public_id
                        ).delete()
                    connection.delete()
                User.objects.filter(pk__in=[admins.get(index)]).delete()

    try:
        results, errors = run_in_threads(2, connect)
    finally:
        in_thread(cleanup)

    assert errors == []
    assert sorted(results) == ["connected", "refused"]
    assert bot_api[f"setWebhook {BOT_ID}"].call_count == 1
    assert bot_api[f"deleteWebhook {BOT_ID}"].call_count == 0
