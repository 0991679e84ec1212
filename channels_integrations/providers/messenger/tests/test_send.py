"""Messenger Send API: request bodies as documented, ids returned, errors mapped.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/reference/send-api
"""

import json

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from channels_integrations.providers.base import OutboundMessage, ProviderError
from channels_integrations.providers.messenger.provider import MessengerProvider
from channels_integrations.providers.meta.tests.support import GRAPH, connection

PAGE_ID = "682498302938465"
SEND_URL = f"{GRAPH}/{PAGE_ID}/messages"
PSID = "1254477777772919"
# The documented answer of the Send API.
SENT = {
    "recipient_id": PSID,
    "message_id": (
        "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"
    ),
}


@pytest.fixture
def messenger():
    return connection(
        "messenger",
        page_id=PAGE_ID,
        page_access_token="EAAPage-token",
        app_secret="e4b1d3f2a9c84f6b8d7e6a5b4c3d2e1f",
    )


@pytest.fixture
def stored_image():
    name = default_storage.save("tests/messenger/shirt.png", ContentFile(b"\x89PNG shirt"))
    yield name
    default_storage.delete(name)


def outbound(**fields):
    defaults = {"idempotency_key": "msg-1", "recipient": PSID, "kind": "text"}
    return OutboundMessage(**{**defaults, **fields})


def test_text_is_a_response_to_the_customer(respx_mock, messenger):
    route = respx_mock.post(SEND_URL).mock(return_value=httpx.Response(200, json=SENT))
    assert MessengerProvider().send(messenger, outbound(body="Hello!")) == SENT["message_id"]
    request = route.calls.last.request
    assert json.loads(request.content) == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Hello!"},
    }
    assert request.headers["Authorization"] == "Bearer EAAPage-token"


def test_a_file_is_uploaded_with_the_message_never_by_url(respx_mock, messenger, stored_image):
    route = respx_mock.post(SEND_URL).mock(
        return_value=httpx.Response(200, json={**SENT, "attachment_id": "687799999980546"})
    )
    message_id = MessengerProvider().send(
        messenger,
        outbound(kind="image", media_name=stored_image, media_mime_type="image/png"),
    )
    assert message_id == SENT["message_id"]
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    fields = request.content
    assert b'name="recipient"\r\n\r\n{"id": "1254477777772919"}' in fields
    assert b'name="messaging_type"\r\n\r\nRESPONSE' in fields
    attachment = b'{"attachment": {"type": "image", "payload": {"is_reusable": false}}}'
    assert b'name="message"\r\n\r\n' + attachment in fields
    assert b'name="filedata"; filename="shirt.png"' in fields
    assert b"Content-Type: image/png" in fields
    assert b"\x89PNG shirt" in fields
    assert b"url" not in fields


def test_a_document_goes_as_a_file_attachment(respx_mock, messenger, stored_image):
    route = respx_mock.post(SEND_URL).mock(return_value=httpx.Response(200, json=SENT))
    MessengerProvider().send(messenger, outbound(kind="document", media_name=stored_image))
    assert b'"type": "file"' in route.calls.last.request.content


@pytest.mark.respx(assert_all_called=False)
def test_a_file_with_text_is_refused_before_anything_is_sent(respx_mock, messenger, stored_image):
    route = respx_mock.post(SEND_URL)
    with pytest.raises(ProviderError) as caught:
        MessengerProvider().send(
            messenger, outbound(kind="image", body="look", media_name=stored_image)
        )
    assert (caught.value.permanent, caught.value.code) == (True, "caption_not_supported")
    assert not route.called


def test_a_kind_the_send_api_cannot_carry_fails_permanently(messenger):
    with pytest.raises(ProviderError) as caught:
        MessengerProvider().send(messenger, outbound(kind="contact_card"))
    assert (caught.value.permanent, caught.value.code) == (True, "unsupported_kind")


def test_outside_the_window_the_error_is_permanent(respx_mock, messenger):
    # https://developers.facebook.com/documentation/business-messaging/messenger-platform/error-codes
    respx_mock.post(SEND_URL).mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "message": "(#10) This message is sent outside of allowed window.",
                    "type": "OAuthException",
                    "code": 10,
                    "error_subcode": 2018278,
                    "fbtrace_id": "BLBz/WZt8dN",
                }
            },
        )
    )
    with pytest.raises(ProviderError) as caught:
        MessengerProvider().send(messenger, outbound(body="late reply"))
    assert (caught.value.permanent, caught.value.code) == (True, "messaging_window_closed")


def test_the_page_rate_limit_is_temporary(respx_mock, messenger):
    respx_mock.post(SEND_URL).mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "message": "(#613) Calls to this api have exceeded the rate limit.",
                    "type": "OAuthException",
                    "code": 613,
                    "fbtrace_id": "BLBz/WZt8dO",
                }
            },
        )
    )
    with pytest.raises(ProviderError) as caught:
        MessengerProvider().send(messenger, outbound(body="hi"))
    assert (caught.value.permanent, caught.value.code) == (False, "rate_limited")
