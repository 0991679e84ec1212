"""Instagram: Send API through the linked Page, credentials and the account check.
https://developers.facebook.com/documentation/business-messaging/instagram-messaging/features/send-message
"""

import json

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from channels_integrations.providers.base import OutboundMessage, ProviderError
from channels_integrations.providers.instagram.provider import InstagramProvider
from channels_integrations.providers.meta.tests.support import GRAPH, connection
from channels_integrations.providers.registry import provider_for

VALID = {
    "instagram_account_id": "17841405822304914",
    "page_id": "101205488901234",
    "page_access_token": "EAAPage-token",
    "app_secret": "e4b1d3f2a9c84f6b8d7e6a5b4c3d2e1f",
}
IGSID = "1110866273958297"
SENT = {"recipient_id": IGSID, "message_id": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx"}


def outbound(**fields):
    defaults = {"idempotency_key": "msg-1", "recipient": IGSID, "kind": "text"}
    return OutboundMessage(**{**defaults, **fields})


def test_the_registry_knows_the_provider():
    assert isinstance(provider_for("instagram"), InstagramProvider)


def test_credentials_need_the_account_and_its_page():
    assert InstagramProvider.credentials_serializer(data=VALID).is_valid()
    serializer = InstagramProvider.credentials_serializer(
        data={k: v for k, v in VALID.items() if k != "instagram_account_id"}
    )
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"instagram_account_id"}


def test_webhooks_route_by_the_instagram_account_not_the_page():
    assert InstagramProvider().route_keys(VALID) == ["17841405822304914"]


def test_text_goes_through_the_linked_page(respx_mock):
    route = respx_mock.post(f"{GRAPH}/101205488901234/messages").mock(
        return_value=httpx.Response(200, json=SENT)
    )
    message_id = InstagramProvider().send(connection("instagram", **VALID), outbound(body="Yes!"))
    assert message_id == SENT["message_id"]
    assert json.loads(route.calls.last.request.content) == {
        "recipient": {"id": IGSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Yes!"},
    }


def test_a_video_is_uploaded_with_the_message(respx_mock):
    name = default_storage.save("tests/instagram/clip.mp4", ContentFile(b"mp4 bytes"))
    try:
        route = respx_mock.post(f"{GRAPH}/101205488901234/messages").mock(
            return_value=httpx.Response(200, json=SENT)
        )
        InstagramProvider().send(
            connection("instagram", **VALID),
            outbound(kind="video", media_name=name, media_mime_type="video/mp4"),
        )
    finally:
        default_storage.delete(name)
    content = route.calls.last.request.content
    assert b'"type": "video"' in content
    assert b'name="filedata"; filename="clip.mp4"' in content
    assert b"mp4 bytes" in content


def test_the_account_username_is_kept(respx_mock):
    route = respx_mock.get(f"{GRAPH}/17841405822304914").mock(
        return_value=httpx.Response(
            200, json={"name": "Lucky Shrub", "username": "luckyshrub", "id": "17841405822304914"}
        )
    )
    assert InstagramProvider().check_credentials(VALID) == {
        "name": "Lucky Shrub",
        "username": "luckyshrub",
    }
    assert route.calls.last.request.url.params["fields"] == "name,username"
    assert route.calls.last.request.headers["Authorization"] == "Bearer EAAPage-token"


def test_a_token_without_instagram_permission_is_permanent(respx_mock):
    respx_mock.get(f"{GRAPH}/17841405822304914").mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "message": "(#10) Application does not have permission for this action",
                    "type": "OAuthException",
                    "code": 10,
                    "fbtrace_id": "A4",
                }
            },
        )
    )
    with pytest.raises(ProviderError) as caught:
        InstagramProvider().check_credentials(VALID)
    assert (caught.value.permanent, caught.value.code) == (True, "meta_auth_failed")
