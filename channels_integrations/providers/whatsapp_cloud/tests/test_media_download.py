"""Inbound media: GET /<MEDIA_ID> for a short-lived URL, then the file with the same token.
https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media#retrieve-media-url
"""

import httpx
import pytest

from channels_integrations.providers.base import InboundMedia, ProviderError
from channels_integrations.providers.meta.tests.support import GRAPH, connection
from channels_integrations.providers.whatsapp_cloud.provider import WhatsAppCloudProvider

MEDIA_ID = "1003383421387256"
FILE_URL = (
    "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1003383421387256"
    "&ext=1749416384&hash=ATtcsjqcBl0"
)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 996


def media_info(size):
    return {
        "messaging_product": "whatsapp",
        "url": FILE_URL,
        "mime_type": "image/jpeg",
        "sha256": "6VzlBNYgB1J6oPjzz8Ix3CNj3V3vYQL7k3d8iAu4UHc=",
        "file_size": str(size),
        "id": MEDIA_ID,
    }


@pytest.fixture
def whatsapp():
    return connection(
        "whatsapp_cloud", phone_number_id="106540352242922", access_token="EAAJB-token"
    )


MEDIA = InboundMedia(provider_media_id=MEDIA_ID, mime_type="image/jpeg")


def test_the_file_is_fetched_with_the_token(respx_mock, whatsapp):
    info = respx_mock.get(f"{GRAPH}/{MEDIA_ID}").mock(
        return_value=httpx.Response(200, json=media_info(len(JPEG)))
    )
    file = respx_mock.get(FILE_URL).mock(
        return_value=httpx.Response(200, content=JPEG, headers={"Content-Type": "image/jpeg"})
    )
    content, mime_type = WhatsAppCloudProvider().download_media(whatsapp, MEDIA, max_bytes=5000)
    assert (content, mime_type) == (JPEG, "image/jpeg")
    assert info.calls.last.request.url.params["phone_number_id"] == "106540352242922"
    assert file.calls.last.request.headers["Authorization"] == "Bearer EAAJB-token"


@pytest.mark.respx(assert_all_called=False)
def test_a_file_announced_too_large_is_refused_before_downloading(respx_mock, whatsapp):
    respx_mock.get(f"{GRAPH}/{MEDIA_ID}").mock(
        return_value=httpx.Response(200, json=media_info(20_000_000))
    )
    file = respx_mock.get(FILE_URL).mock(return_value=httpx.Response(200, content=JPEG))
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().download_media(whatsapp, MEDIA, max_bytes=16_000_000)
    assert (caught.value.permanent, caught.value.code) == (True, "media_too_large")
    assert not file.called


def test_a_content_length_over_the_limit_is_refused(respx_mock, whatsapp):
    # The media node understated the size; the file's own Content-Length tells the truth.
    respx_mock.get(f"{GRAPH}/{MEDIA_ID}").mock(
        return_value=httpx.Response(200, json=media_info(10))
    )
    respx_mock.get(FILE_URL).mock(return_value=httpx.Response(200, content=JPEG))
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().download_media(whatsapp, MEDIA, max_bytes=100)
    assert caught.value.code == "media_too_large"


def test_a_stream_going_past_the_limit_is_stopped(respx_mock, whatsapp):
    sent: list[int] = []

    def chunks():
        for _ in range(50):
            sent.append(1)
            yield b"x" * 100

    respx_mock.get(f"{GRAPH}/{MEDIA_ID}").mock(
        return_value=httpx.Response(200, json={**media_info(0), "file_size": None})
    )
    respx_mock.get(FILE_URL).mock(return_value=httpx.Response(200, content=chunks()))
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().download_media(whatsapp, MEDIA, max_bytes=1000)
    assert caught.value.code == "media_too_large"
    # Reading stopped right after the limit instead of draining the whole stream.
    assert len(sent) == 11


def test_an_expired_media_url_is_permanent(respx_mock, whatsapp):
    respx_mock.get(f"{GRAPH}/{MEDIA_ID}").mock(return_value=httpx.Response(200, json=media_info(9)))
    respx_mock.get(FILE_URL).mock(return_value=httpx.Response(404))
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().download_media(whatsapp, MEDIA, max_bytes=100)
    assert (caught.value.permanent, caught.value.code) == (True, "media_unavailable")
