"""Tenant settings over HTTP: typed keys with defaults; admins change them, all or nothing."""

import pytest

from accounts.tests.factories import UserFactory
from conftest import sign_in_api
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope
from tenants.tenant_settings import settings_available

URL = "/api/v1/settings/"


def _stored(fixture):
    with public_scope():
        return Tenant.objects.get(pk=fixture.tenant.pk).settings


def test_any_user_reads_every_key_with_type_default_and_label(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    sign_in_api(api_alpha, agent.email)

    response = api_alpha.get(URL)

    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()}
    assert set(rows) == set(settings_available())
    assert rows["days_to_close"]["value"] == 7
    assert rows["days_to_close"]["type"] == "int"
    assert rows["days_to_close"]["nullable"] is True
    assert rows["farewell_on_auto_close"] == {
        **rows["farewell_on_auto_close"],
        "type": "bool",
        "default": False,
        "value": False,
    }
    assert rows["farewell_on_auto_close"]["label"]


def test_the_whatsapp_qr_channels_settings_are_listed_and_accepted(alpha, api_alpha):
    api = sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)

    listed = {row["key"] for row in api.get(URL).json()}
    response = api.patch(URL, {"ignore_group_messages": False}, format="json")

    assert {"reject_calls", "call_reject_message", "ignore_group_messages"} <= listed
    assert response.status_code == 200
    assert _stored(alpha)["ignore_group_messages"] is False


def test_an_agent_cannot_change_settings(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    sign_in_api(api_alpha, agent.email)

    response = api_alpha.patch(URL, {"farewell_on_auto_close": True}, format="json")

    assert (response.status_code, response.json()["code"]) == (403, "admin_required")
    assert "farewell_on_auto_close" not in (_stored(alpha) or {})


def test_an_admin_changes_some_keys_and_the_rest_keep_their_defaults(alpha, api_alpha):
    api = sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)

    response = api.patch(
        URL, {"farewell_on_auto_close": True, "days_to_close": None}, format="json"
    )

    assert response.status_code == 200
    rows = {row["key"]: row["value"] for row in response.json()}
    assert rows["farewell_on_auto_close"] is True
    assert rows["days_to_close"] is None
    assert rows["farewell_on_close"] is True
    assert _stored(alpha)["farewell_on_auto_close"] is True


@pytest.mark.parametrize(
    ("payload", "bad_keys"),
    [
        ({"no_such_key": 1, "farewell_on_close": True}, {"no_such_key"}),
        ({"farewell_on_close": "yes", "days_to_close": 3}, {"farewell_on_close"}),
        ({"days_to_close": True}, {"days_to_close"}),
        (
            {"days_to_close": 0, "reopen_window_minutes": "5"},
            {"days_to_close", "reopen_window_minutes"},
        ),
    ],
)
def test_unknown_keys_and_wrong_types_are_400_per_key_and_nothing_is_stored(
    alpha, api_alpha, payload, bad_keys
):
    api = sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)
    before = _stored(alpha)

    response = api.patch(URL, payload, format="json")

    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == bad_keys
    assert _stored(alpha) == before


def test_a_body_that_is_not_an_object_is_400(alpha, api_alpha):
    api = sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)

    response = api.patch(URL, [1, 2], format="json")

    assert (response.status_code, response.json()["code"]) == (400, "validation_error")


def test_a_change_in_alpha_does_not_touch_beta(alpha, beta, api_alpha, api_beta):
    sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)
    api_alpha.patch(URL, {"farewell_on_auto_close": True}, format="json")

    sign_in_api(api_beta, beta.admin_email, beta.admin_password)
    rows = {r["key"]: r["value"] for r in api_beta.get(URL).json()}

    assert rows["farewell_on_auto_close"] is False
