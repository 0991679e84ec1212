"""Meta's subscription handshake on the shared callback ``/webhooks/meta/`` answers to the
platform's verify token only (``META_VERIFY_TOKEN``), never to a token a tenant admin typed, and
the Meta connection forms no longer ask for a verify token (it would do nothing)."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AdminFactory
from channels_integrations.providers.registry import provider_for
from channels_integrations.tests.support import META_URL as URL
from channels_integrations.tests.support import meta_connection
from conftest import host_client, signed_in_client
from tenants.tenancy import tenant_scope

PLATFORM_TOKEN = "platform-verify-token"  # noqa: S105  (a test value)
META_PROVIDERS = ["whatsapp_cloud", "messenger", "instagram"]


def _handshake(token: str):
    return host_client("localhost").get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}
    )


@pytest.fixture
def platform_token(settings):
    settings.META_VERIFY_TOKEN = PLATFORM_TOKEN
    return PLATFORM_TOKEN


def test_the_platform_verify_token_completes_the_handshake(alpha, platform_token):
    response = _handshake(platform_token)

    assert response.status_code == 200
    assert response.content == b"1158201444"


def test_a_verify_token_stored_on_a_tenants_connection_is_refused(alpha, platform_token):
    # A connection saved while the form still asked for one keeps it in its credentials.
    meta_connection(
        alpha.tenant,
        "whatsapp_cloud",
        route_key="106540352242922",
        secret="alpha-app-secret",
        verify_token="typed-by-a-tenant-admin",
        phone_number_id="106540352242922",
        access_token="x",
    )

    response = _handshake("typed-by-a-tenant-admin")

    assert (response.status_code, response.json()["code"]) == (403, "webhook_forbidden")


def test_without_a_platform_verify_token_every_handshake_is_refused(alpha, settings):
    settings.META_VERIFY_TOKEN = ""

    assert _handshake("").status_code == 403
    assert _handshake("anything").status_code == 403


@pytest.mark.parametrize("provider", META_PROVIDERS)
def test_meta_connection_forms_do_not_ask_for_a_verify_token(alpha, provider):
    assert "verify_token" not in provider_for(provider).credential_fields()
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()

    page = signed_in_client(alpha, admin).get(f"/manage/connections/new/{provider}/")

    assert page.status_code == 200
    assert 'name="app_secret"' in page.content.decode()
    assert 'name="verify_token"' not in page.content.decode()
