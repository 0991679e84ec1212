"""Credentials shape, the check against the Graph API, routing and the 24-hour window."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from channels_integrations.providers.base import ProviderError
from channels_integrations.providers.meta.tests.support import GRAPH
from channels_integrations.providers.registry import provider_for
from channels_integrations.providers.whatsapp_cloud.provider import WhatsAppCloudProvider
from channels_integrations.providers.whatsapp_cloud.window import window_open

VALID = {
    "phone_number_id": "106540352242922",
    "access_token": "EAAJB-system-user-token",
    "app_secret": "e4b1d3f2a9c84f6b8d7e6a5b4c3d2e1f",
}


def test_the_registry_knows_the_provider():
    assert isinstance(provider_for("whatsapp_cloud"), WhatsAppCloudProvider)


def test_valid_credentials_are_kept_as_given_and_nothing_else_is():
    serializer = WhatsAppCloudProvider.credentials_serializer(
        data={**VALID, "waba_id": "102290129340398", "display_phone_number": "+1 555-078-3881"}
    )
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == VALID


def test_the_connection_form_asks_only_for_what_the_provider_reads():
    # The display number comes from Graph (details); a form field for it would do nothing.
    # The business account id is read by the message templates (sync, submit, delete).
    assert list(WhatsAppCloudProvider.credential_fields()) == [
        "phone_number_id",
        "access_token",
        "app_secret",
        "business_account_id",
    ]


def test_missing_and_malformed_credentials_are_named():
    serializer = WhatsAppCloudProvider.credentials_serializer(
        data={**VALID, "phone_number_id": "+1 555 078", "access_token": ""}
    )
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"phone_number_id", "access_token"}
    missing = WhatsAppCloudProvider.credentials_serializer(data={})
    assert not missing.is_valid()
    assert set(missing.errors) == {"phone_number_id", "access_token", "app_secret"}


def test_secrets_and_limits_are_declared():
    assert set(WhatsAppCloudProvider.secret_fields) == {
        "access_token",
        "app_secret",
        "verify_token",
    }
    assert WhatsAppCloudProvider.rate_limit_per_second == 80.0
    assert WhatsAppCloudProvider().route_keys(VALID) == ["106540352242922"]


def test_working_credentials_return_the_number_facts(respx_mock):
    route = respx_mock.get(f"{GRAPH}/106540352242922").mock(
        return_value=httpx.Response(
            200,
            json={
                "display_phone_number": "+1 555-078-3881",
                "verified_name": "Lucky Shrub",
                "quality_rating": "GREEN",
                "id": "106540352242922",
            },
        )
    )
    facts = WhatsAppCloudProvider().check_credentials(VALID)
    assert facts == {
        "display_phone_number": "+1 555-078-3881",
        "verified_name": "Lucky Shrub",
        "quality_rating": "GREEN",
    }
    assert route.calls.last.request.url.params["fields"] == (
        "display_phone_number,verified_name,quality_rating"
    )


def test_a_bad_token_is_a_permanent_error_saying_so(respx_mock):
    respx_mock.get(f"{GRAPH}/106540352242922").mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "message": "Invalid OAuth access token - Cannot parse access token",
                    "type": "OAuthException",
                    "code": 190,
                    "fbtrace_id": "A1",
                }
            },
        )
    )
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().check_credentials(VALID)
    assert (caught.value.permanent, caught.value.code) == (True, "meta_auth_failed")
    assert "access token" in caught.value.detail
    assert caught.value.field == "access_token"  # the connection form shows it under the token


def test_an_unknown_number_is_a_permanent_error_naming_it(respx_mock):
    respx_mock.get(f"{GRAPH}/106540352242922").mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "message": "Unsupported get request. Object with ID '106540352242922' does "
                    "not exist, cannot be loaded due to missing permissions, or does not "
                    "support this operation.",
                    "type": "GraphMethodException",
                    "code": 100,
                    "error_subcode": 33,
                    "fbtrace_id": "A2",
                }
            },
        )
    )
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().check_credentials(VALID)
    assert caught.value.permanent is True
    assert "106540352242922" in caught.value.detail
    assert caught.value.field == "phone_number_id"


NOW = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_inbound_at", "is_open"),
    [
        (None, False),
        (NOW - timedelta(minutes=5), True),
        (NOW - timedelta(hours=23, minutes=59), True),
        (NOW - timedelta(hours=24), False),
        (NOW - timedelta(days=3), False),
    ],
)
def test_the_customer_service_window_lasts_24_hours(last_inbound_at, is_open):
    assert window_open(last_inbound_at, NOW) is is_open
