"""Messenger credentials, the Page check and attachment downloads from Meta's CDN."""

import httpx
import pytest

from channels_integrations.providers.base import InboundMedia, ProviderError
from channels_integrations.providers.messenger.provider import MessengerProvider
from channels_integrations.providers.meta.tests.support import GRAPH, connection
from channels_integrations.providers.registry import provider_for

VALID = {
    "page_id": "682498302938465",
    "page_access_token": "EAAPage-token",
    "app_secret": "e4b1d3f2a9c84f6b8d7e6a5b4c3d2e1f",
}
CDN = "https://scontent.xx.fbcdn.net/v/t1.15752-9/488888888_1_n.jpg?_nc_cat=100&oh=00_AYA"


def test_the_registry_knows_the_provider():
    assert isinstance(provider_for("messenger"), MessengerProvider)


def test_credentials_are_validated():
    assert MessengerProvider.credentials_serializer(data=VALID).is_valid()
    serializer = MessengerProvider.credentials_serializer(data={**VALID, "page_id": "my-page"})
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"page_id"}
    assert set(MessengerProvider.secret_fields) == {
        "page_access_token",
        "app_secret",
        "verify_token",
    }
    assert MessengerProvider().route_keys(VALID) == ["682498302938465"]
    assert MessengerProvider.rate_limit_per_second == 300.0


def test_the_page_name_is_kept(respx_mock):
    route = respx_mock.get(f"{GRAPH}/682498302938465").mock(
        return_value=httpx.Response(200, json={"name": "Lucky Shrub", "id": "682498302938465"})
    )
    assert MessengerProvider().check_credentials(VALID) == {"name": "Lucky Shrub"}
    assert route.calls.last.request.url.params["fields"] == "name"


def test_an_expired_page_token_is_permanent(respx_mock):
    respx_mock.get(f"{GRAPH}/682498302938465").mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "message": "Error validating access token: The session has been invalidated "
                    "because the user changed their password.",
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 460,
                    "fbtrace_id": "A3",
                }
            },
        )
    )
    with pytest.raises(ProviderError) as caught:
        MessengerProvider().check_credentials(VALID)
    assert (caught.value.permanent, caught.value.code) == (True, "meta_auth_failed")


def test_an_attachment_is_fetched_from_the_cdn_without_our_token(respx_mock):
    route = respx_mock.get(CDN).mock(
        return_value=httpx.Response(200, content=b"jpeg!", headers={"Content-Type": "image/jpeg"})
    )
    content, mime_type = MessengerProvider().download_media(
        connection("messenger", **VALID), InboundMedia(provider_media_id=CDN), max_bytes=100
    )
    assert (content, mime_type) == (b"jpeg!", "image/jpeg")
    assert "Authorization" not in route.calls.last.request.headers


def test_an_attachment_over_the_limit_is_refused(respx_mock):
    respx_mock.get(CDN).mock(return_value=httpx.Response(200, content=b"x" * 101))
    with pytest.raises(ProviderError) as caught:
        MessengerProvider().download_media(
            connection("messenger", **VALID), InboundMedia(provider_media_id=CDN), max_bytes=100
        )
    assert (caught.value.permanent, caught.value.code) == (True, "media_too_large")


def test_a_streamed_attachment_past_the_limit_is_stopped(respx_mock):
    respx_mock.get(CDN).mock(
        return_value=httpx.Response(200, content=iter([b"x" * 60, b"x" * 60, b"x" * 60]))
    )
    with pytest.raises(ProviderError) as caught:
        MessengerProvider().download_media(
            connection("messenger", **VALID), InboundMedia(provider_media_id=CDN), max_bytes=100
        )
    assert caught.value.code == "media_too_large"


def test_a_non_https_url_is_never_fetched():
    with pytest.raises(ProviderError) as caught:
        MessengerProvider().download_media(
            connection("messenger", **VALID),
            InboundMedia(provider_media_id="http://169.254.169.254/latest/meta-data"),
            max_bytes=100,
        )
    assert (caught.value.permanent, caught.value.code) == (True, "media_unavailable")
