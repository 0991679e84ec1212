"""Sending through the Cloud API: request bodies as documented, ids returned, errors mapped.
https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages
"""

import json

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from channels_integrations.providers.base import OutboundMessage, ProviderError
from channels_integrations.providers.meta.tests.support import GRAPH, connection
from channels_integrations.providers.whatsapp_cloud.provider import WhatsAppCloudProvider
from tenants.tenancy import tenant_scope

PHONE_ID = "106540352242922"
MESSAGES_URL = f"{GRAPH}/{PHONE_ID}/messages"
MEDIA_URL = f"{GRAPH}/{PHONE_ID}/media"
NEW_WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
# The documented answer of POST /<PHONE_NUMBER_ID>/messages.
SENT = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": "+16505551234", "wa_id": "16505551234"}],
    "messages": [{"id": NEW_WAMID, "message_status": "accepted"}],
}


@pytest.fixture
def whatsapp():
    return connection(
        "whatsapp_cloud",
        phone_number_id=PHONE_ID,
        access_token="EAAJB-system-user-token",
        app_secret="e4b1d3f2a9c84f6b8d7e6a5b4c3d2e1f",
    )


@pytest.fixture
def stored_file():
    name = default_storage.save("tests/whatsapp/receipt.pdf", ContentFile(b"%PDF-1.7 receipt"))
    yield name
    default_storage.delete(name)


def outbound(**fields):
    defaults = {"idempotency_key": "msg-1", "recipient": "16505551234", "kind": "text"}
    return OutboundMessage(**{**defaults, **fields})


def sent_json(route, index=-1):
    return json.loads(route.calls[index].request.content)


def test_text_is_sent_without_link_preview(respx_mock, whatsapp):
    route = respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json=SENT))
    message_id = WhatsAppCloudProvider().send(whatsapp, outbound(body="Hello Sheena!"))
    assert message_id == NEW_WAMID
    assert sent_json(route) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "16505551234",
        "type": "text",
        "text": {"preview_url": False, "body": "Hello Sheena!"},
    }
    assert route.calls.last.request.headers["Authorization"] == "Bearer EAAJB-system-user-token"


def test_a_reply_carries_the_quoted_message_as_context(respx_mock, whatsapp):
    route = respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json=SENT))
    WhatsAppCloudProvider().send(
        whatsapp,
        outbound(body="It does", recipient="+16505551234", quoted_provider_message_id="wamid.Q"),
    )
    body = sent_json(route)
    assert body["context"] == {"message_id": "wamid.Q"}
    assert body["to"] == "16505551234"


def test_a_customer_known_only_by_user_id_is_addressed_as_recipient(respx_mock, whatsapp):
    # https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
    route = respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json=SENT))
    WhatsAppCloudProvider().send(whatsapp, outbound(body="Hi", recipient="US.13491208655302741918"))
    body = sent_json(route)
    assert body["recipient"] == "US.13491208655302741918"
    assert "to" not in body


def test_a_template_is_sent_as_given(respx_mock, whatsapp):
    route = respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json=SENT))
    template = {
        "name": "order_update",
        "language": {"code": "pt_BR"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "1042"}]}],
    }
    WhatsAppCloudProvider().send(whatsapp, outbound(template=template, body="ignored"))
    body = sent_json(route)
    assert (body["type"], body["template"]) == ("template", template)
    assert "text" not in body


def test_a_reaction_names_the_reacted_message(respx_mock, whatsapp):
    route = respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json=SENT))
    WhatsAppCloudProvider().send(
        whatsapp, outbound(kind="reaction", body="\U0001f44d", quoted_provider_message_id="wamid.R")
    )
    body = sent_json(route)
    assert body["reaction"] == {"message_id": "wamid.R", "emoji": "\U0001f44d"}
    assert "context" not in body


def test_a_document_is_uploaded_then_sent_by_media_id(respx_mock, whatsapp, stored_file):
    # Upload answer: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media
    upload = respx_mock.post(MEDIA_URL).mock(
        return_value=httpx.Response(200, json={"id": "1037543291543636"})
    )
    send = respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json=SENT))
    message_id = WhatsAppCloudProvider().send(
        whatsapp,
        outbound(
            kind="document",
            body="Your receipt",
            media_name=stored_file,
            media_mime_type="application/pdf",
            media_filename="receipt.pdf",
        ),
    )
    assert message_id == NEW_WAMID
    form = upload.calls.last.request
    assert form.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="messaging_product"\r\n\r\nwhatsapp' in form.content
    assert b'name="type"\r\n\r\napplication/pdf' in form.content
    assert b'filename="receipt.pdf"' in form.content
    assert b"%PDF-1.7 receipt" in form.content
    assert sent_json(send)["type"] == "document"
    assert sent_json(send)["document"] == {
        "id": "1037543291543636",
        "caption": "Your receipt",
        "filename": "receipt.pdf",
    }
    # Nothing of ours is exposed by URL.
    assert "link" not in sent_json(send)["document"]


def test_an_image_without_caption_sends_only_the_id(respx_mock, whatsapp, stored_file):
    respx_mock.post(MEDIA_URL).mock(return_value=httpx.Response(200, json={"id": "555"}))
    send = respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json=SENT))
    WhatsAppCloudProvider().send(
        whatsapp, outbound(kind="image", media_name=stored_file, media_mime_type="image/png")
    )
    assert sent_json(send)["image"] == {"id": "555"}


# Graph's answer to a message naming a media id it no longer has.
MEDIA_REFUSED = {
    "error": {
        "message": "(#131053) Media upload error",
        "type": "OAuthException",
        "code": 131053,
        "fbtrace_id": "AbCdEm",
    }
}


def _uploads(respx_mock, *media_ids):
    """The upload route, answering each upload with the next of ``media_ids``."""
    answers = [httpx.Response(200, json={"id": media_id}) for media_id in media_ids]
    return respx_mock.post(MEDIA_URL).mock(side_effect=answers)


def _image(name, recipient="16505551234"):
    return outbound(kind="image", media_name=name, media_mime_type="image/png", recipient=recipient)


def test_a_file_sent_again_names_its_first_upload(respx_mock, whatsapp, stored_file):
    # A campaign's image goes to every recipient: one upload per number, not one per message.
    upload = respx_mock.post(MEDIA_URL).mock(return_value=httpx.Response(200, json={"id": "555"}))
    send = respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json=SENT))
    provider = WhatsAppCloudProvider()
    provider.send(whatsapp, _image(stored_file))
    provider.send(whatsapp, _image(stored_file, recipient="5511987654321"))
    assert upload.call_count == 1
    assert [sent_json(send, n)["image"] for n in (0, 1)] == [{"id": "555"}, {"id": "555"}]

    # Another number has its own media store: the file is uploaded to it.
    other = connection(
        "whatsapp_cloud", phone_number_id="2000001", access_token="other", app_secret="x"
    )
    other_upload = respx_mock.post(f"{GRAPH}/2000001/media").mock(
        return_value=httpx.Response(200, json={"id": "777"})
    )
    other_send = respx_mock.post(f"{GRAPH}/2000001/messages").mock(
        return_value=httpx.Response(200, json=SENT)
    )
    provider.send(other, _image(stored_file))
    assert other_upload.call_count == 1
    assert sent_json(other_send)["image"] == {"id": "777"}


def test_a_refused_kept_id_is_uploaded_again_and_the_message_sent(
    respx_mock, whatsapp, stored_file
):
    # The kept id no longer names an upload (deleted, or gone before its 30 days): WhatsApp
    # refuses the message, so nothing went out; the file is uploaded again and sent with it.
    upload = _uploads(respx_mock, "555", "556")
    send = respx_mock.post(MESSAGES_URL).mock(
        side_effect=[
            httpx.Response(200, json=SENT),
            httpx.Response(400, json=MEDIA_REFUSED),
            httpx.Response(200, json=SENT),
            httpx.Response(200, json=SENT),
        ]
    )
    provider = WhatsAppCloudProvider()
    provider.send(whatsapp, _image(stored_file))
    assert provider.send(whatsapp, _image(stored_file)) == NEW_WAMID
    provider.send(whatsapp, _image(stored_file))
    assert upload.call_count == 2
    assert [sent_json(send, n)["image"]["id"] for n in range(4)] == ["555", "555", "556", "556"]


def test_a_temporary_failure_with_a_kept_id_is_not_sent_again_at_once(
    respx_mock, whatsapp, stored_file
):
    # A 5xx may hide a message that went out: the send fails (retried later, with the
    # outbound's idempotency), and that retry uploads the file again.
    upload = _uploads(respx_mock, "555", "556")
    send = respx_mock.post(MESSAGES_URL).mock(
        side_effect=[
            httpx.Response(200, json=SENT),
            httpx.Response(500),
            httpx.Response(200, json=SENT),
        ]
    )
    provider = WhatsAppCloudProvider()
    provider.send(whatsapp, _image(stored_file))
    with pytest.raises(ProviderError) as caught:
        provider.send(whatsapp, _image(stored_file))
    assert caught.value.permanent is False
    assert send.call_count == 2
    provider.send(whatsapp, _image(stored_file))
    assert upload.call_count == 2
    assert [sent_json(send, n)["image"]["id"] for n in range(3)] == ["555", "555", "556"]


@pytest.mark.django_db
def test_a_kept_media_id_belongs_to_its_tenant(respx_mock, whatsapp, stored_file, alpha, beta):
    upload = _uploads(respx_mock, "555", "900")
    send = respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json=SENT))
    with tenant_scope(alpha.tenant):
        WhatsAppCloudProvider().send(whatsapp, _image(stored_file))
    with tenant_scope(beta.tenant):
        WhatsAppCloudProvider().send(whatsapp, _image(stored_file))
    with tenant_scope(alpha.tenant):
        WhatsAppCloudProvider().send(whatsapp, _image(stored_file))
    assert upload.call_count == 2
    assert [sent_json(send, n)["image"]["id"] for n in (0, 1, 2)] == ["555", "900", "555"]


@pytest.mark.respx(assert_all_called=False)
def test_a_caption_on_audio_is_refused_before_anything_is_sent(respx_mock, whatsapp, stored_file):
    upload = respx_mock.post(MEDIA_URL)
    send = respx_mock.post(MESSAGES_URL)
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().send(
            whatsapp, outbound(kind="audio", body="listen", media_name=stored_file)
        )
    assert (caught.value.permanent, caught.value.code) == (True, "caption_not_supported")
    assert not upload.called
    assert not send.called


def test_a_missing_file_fails_permanently(respx_mock, whatsapp):
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().send(
            whatsapp, outbound(kind="image", media_name="tests/whatsapp/gone.png")
        )
    assert (caught.value.permanent, caught.value.code) == (True, "media_missing")


def test_a_kind_whatsapp_cannot_send_fails_permanently(whatsapp):
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().send(whatsapp, outbound(kind="location"))
    assert (caught.value.permanent, caught.value.code) == (True, "unsupported_kind")


def test_the_closed_window_error_is_permanent(respx_mock, whatsapp):
    respx_mock.post(MESSAGES_URL).mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "message": "(#131047) Re-engagement message",
                    "type": "OAuthException",
                    "code": 131047,
                    "error_data": {
                        "messaging_product": "whatsapp",
                        "details": "Message failed to send because more than 24 hours have "
                        "passed since the customer last replied to this number.",
                    },
                    "fbtrace_id": "AbCdEf",
                }
            },
        )
    )
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().send(whatsapp, outbound(body="hello again"))
    assert (caught.value.permanent, caught.value.code) == (True, "whatsapp_window_closed")


def test_the_throughput_limit_is_retried_later(respx_mock, whatsapp):
    respx_mock.post(MESSAGES_URL).mock(
        return_value=httpx.Response(
            400,
            headers={"Retry-After": "3"},
            json={
                "error": {
                    "message": "(#130429) Rate limit hit",
                    "type": "OAuthException",
                    "code": 130429,
                    "error_data": {
                        "messaging_product": "whatsapp",
                        "details": "Cloud API message throughput has been reached.",
                    },
                    "fbtrace_id": "AbCdEg",
                }
            },
        )
    )
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().send(whatsapp, outbound(body="hi"))
    assert (caught.value.permanent, caught.value.retry_after) == (False, 3.0)


def test_an_expired_token_is_permanent(respx_mock, whatsapp):
    respx_mock.post(MESSAGES_URL).mock(
        return_value=httpx.Response(
            401,
            json={
                "error": {
                    "message": "Error validating access token: Session has expired.",
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 463,
                    "fbtrace_id": "AbCdEh",
                }
            },
        )
    )
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().send(whatsapp, outbound(body="hi"))
    assert (caught.value.permanent, caught.value.code) == (True, "meta_auth_failed")


def test_a_server_error_is_temporary(respx_mock, whatsapp):
    respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(500))
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().send(whatsapp, outbound(body="hi"))
    assert caught.value.permanent is False


def test_an_answer_without_message_id_is_temporary(respx_mock, whatsapp):
    respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json={"messages": []}))
    with pytest.raises(ProviderError) as caught:
        WhatsAppCloudProvider().send(whatsapp, outbound(body="hi"))
    assert caught.value.permanent is False


@pytest.mark.parametrize(
    ("extra", "mime", "voice"),
    [
        ({"voice": True}, "audio/ogg", True),  # a recorded voice note, in Ogg/Opus
        ({}, "audio/ogg", False),  # an audio file an agent attached: basic audio
        ({"voice": True}, "audio/mp4", False),  # voice messages are Ogg/Opus only
    ],
)
def test_a_voice_note_is_sent_as_a_voice_message(respx_mock, whatsapp, extra, mime, voice):
    name = default_storage.save("tests/whatsapp/voice-note.ogg", ContentFile(b"OggS voice"))
    respx_mock.post(MEDIA_URL).mock(return_value=httpx.Response(200, json={"id": "777"}))
    send = respx_mock.post(MESSAGES_URL).mock(return_value=httpx.Response(200, json=SENT))
    try:
        WhatsAppCloudProvider().send(
            whatsapp, outbound(kind="audio", media_name=name, media_mime_type=mime, extra=extra)
        )
    finally:
        default_storage.delete(name)
    expected = {"id": "777", "voice": True} if voice else {"id": "777"}
    assert sent_json(send)["audio"] == expected
