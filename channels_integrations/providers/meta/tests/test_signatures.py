"""X-Hub-Signature-256: HMAC-SHA256 of the raw body keyed with the app secret.
https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads
"""

import hashlib
import hmac

import pytest

from channels_integrations.providers.base import WebhookRejected
from channels_integrations.providers.instagram.provider import InstagramProvider
from channels_integrations.providers.messenger.provider import MessengerProvider
from channels_integrations.providers.meta.signatures import sign, signature_is_valid
from channels_integrations.providers.meta.tests.support import (
    connection,
    load_fixture,
    webhook_request,
)
from channels_integrations.providers.whatsapp_cloud.provider import WhatsAppCloudProvider

SECRET = "e4b1d3f2a9c84f6b8d7e6a5b4c3d2e1f"
BODY = load_fixture("whatsapp_cloud", "text")

CASES = [
    (WhatsAppCloudProvider(), "whatsapp_cloud", "text"),
    (MessengerProvider(), "messenger", "message_text"),
    (InstagramProvider(), "instagram", "message_text"),
]


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body():
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET) == f"sha256={expected}"


@pytest.mark.parametrize(("provider", "key", "fixture"), CASES)
def test_a_delivery_signed_with_the_app_secret_is_accepted(provider, key, fixture):
    body = load_fixture(key, fixture)
    provider.verify_request(
        webhook_request(body, secret=SECRET), connection(key, app_secret=SECRET)
    )


@pytest.mark.parametrize(("provider", "key", "fixture"), CASES)
def test_a_delivery_without_signature_is_rejected(provider, key, fixture):
    body = load_fixture(key, fixture)
    with pytest.raises(WebhookRejected):
        provider.verify_request(webhook_request(body), connection(key, app_secret=SECRET))


@pytest.mark.parametrize(
    "header",
    [
        "",
        "sha256=",
        "sha256=not-hex-at-all",
        "sha1=" + hashlib.sha1(BODY).hexdigest(),  # noqa: S324 - the legacy header's scheme
        hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),  # no "sha256=" prefix
    ],
)
def test_a_malformed_signature_is_rejected(header):
    request = webhook_request(BODY, header=header)
    with pytest.raises(WebhookRejected):
        WhatsAppCloudProvider().verify_request(
            request, connection("whatsapp_cloud", app_secret=SECRET)
        )


def test_a_signature_of_another_body_is_rejected():
    forged = webhook_request(BODY, header=sign(BODY.replace(b"color", b"colour"), SECRET))
    with pytest.raises(WebhookRejected):
        WhatsAppCloudProvider().verify_request(
            forged, connection("whatsapp_cloud", app_secret=SECRET)
        )


def test_a_body_signed_by_another_app_is_rejected():
    request = webhook_request(BODY, secret="0123456789abcdef0123456789abcdef")
    with pytest.raises(WebhookRejected):
        WhatsAppCloudProvider().verify_request(
            request, connection("whatsapp_cloud", app_secret=SECRET)
        )


def test_a_connection_without_app_secret_accepts_nothing():
    # Even a body "signed" with the empty key must not pass.
    request = webhook_request(BODY, secret="")
    assert signature_is_valid(BODY, sign(BODY, ""), "") is False
    with pytest.raises(WebhookRejected):
        WhatsAppCloudProvider().verify_request(request, connection("whatsapp_cloud"))


def test_an_uppercase_hex_signature_is_accepted():
    header = "sha256=" + sign(BODY, SECRET).removeprefix("sha256=").upper()
    assert signature_is_valid(BODY, header, SECRET) is True
