"""Answering on Telegram: text, quotes, files and locations go out through the Bot API; its
errors are temporary (429, 5xx, network) or permanent (blocked, chat not found)."""

import json

import httpx
import pytest
import respx
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory
from channels_integrations.models import OutboundDelivery
from channels_integrations.providers.base import OutboundMessage, ProviderError
from channels_integrations.providers.telegram.provider import TelegramProvider
from channels_integrations.providers.telegram.tests.support import (
    TOKEN,
    api_url,
    error,
    ok,
    telegram_connection,
)
from channels_integrations.tasks import outbound_message_deliver_task
from contacts.services import contact_upsert_from_identity
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.services.messages import ReceivedMessage, message_receive, message_send

send = TelegramProvider().send


@pytest.fixture
def bot(alpha, media_root):
    connection = telegram_connection(alpha.tenant)
    with tenant_scope(alpha.tenant):
        yield connection


def _text(body="Olá!", **fields):
    return OutboundMessage(
        idempotency_key="k1", recipient="1111111", kind="text", body=body, **fields
    )


@respx.mock
def test_a_text_is_sent_with_send_message_and_its_id_is_chat_scoped(bot):
    route = respx.post(api_url("sendMessage")).mock(return_value=ok("sendMessage.json"))

    provider_id = send(bot, _text("Qual o número do pedido?"))

    assert provider_id == "1111111:1366"
    assert json.loads(route.calls.last.request.content) == {
        "chat_id": "1111111",
        "text": "Qual o número do pedido?",
    }


@respx.mock
def test_a_quote_becomes_reply_parameters(bot):
    route = respx.post(api_url("sendMessage")).mock(return_value=ok("sendMessage.json"))

    send(bot, _text(quoted_provider_message_id="1111111:1365"))

    assert json.loads(route.calls.last.request.content)["reply_parameters"] == {
        "message_id": 1365,
        "allow_sending_without_reply": True,
    }


@respx.mock
def test_a_photo_is_uploaded_as_multipart_with_its_caption(bot, media_backend):
    """On the local disk and on the object store alike: the file is read through the storage."""
    route = respx.post(api_url("sendPhoto")).mock(return_value=ok("sendPhoto.json"))
    default_storage.save("tenants/alpha/messages/x/foto.jpg", ContentFile(b"\xff\xd8jpeg"))
    message = OutboundMessage(
        idempotency_key="k1",
        recipient="1111111",
        kind="image",
        body="Segue a foto",
        media_name="tenants/alpha/messages/x/foto.jpg",
        media_mime_type="image/jpeg",
        media_filename="foto.jpg",
    )

    assert send(bot, message) == "1111111:1377"

    request = route.calls.last.request
    assert request.headers["content-type"].startswith("multipart/form-data")
    content = request.content
    assert b'name="chat_id"\r\n\r\n1111111' in content
    assert b'name="caption"\r\n\r\nSegue a foto' in content
    assert b'name="photo"; filename="foto.jpg"' in content
    assert b"\xff\xd8jpeg" in content


def _photo(name="tenants/alpha/campaigns/c1/oferta.jpg"):
    return OutboundMessage(
        idempotency_key="k1",
        recipient="1111111",
        kind="image",
        body="Oferta",
        media_name=name,
        media_mime_type="image/jpeg",
        media_filename="oferta.jpg",
    )


@respx.mock
def test_a_file_the_bot_sent_before_is_named_by_its_file_id(bot, media_root):
    # A campaign's image to each recipient: uploaded once, then sent by the file_id Telegram
    # gave the bot for it (the largest of the photo's sizes in sendPhoto.json).
    default_storage.save("tenants/alpha/campaigns/c1/oferta.jpg", ContentFile(b"\xff\xd8jpeg"))
    route = respx.post(api_url("sendPhoto")).mock(return_value=ok("sendPhoto.json"))

    send(bot, _photo())
    send(bot, _photo())

    first, second = (call.request for call in route.calls)
    assert b'name="photo"; filename="oferta.jpg"' in first.content
    assert json.loads(second.content) == {
        "chat_id": "1111111",
        "caption": "Oferta",
        "photo": "AgACAgEAAxkDAAIBeXNlbnQ",
    }


@respx.mock
def test_a_refused_file_id_is_uploaded_again_and_the_message_sent(bot, media_root):
    default_storage.save("tenants/alpha/campaigns/c1/oferta.jpg", ContentFile(b"\xff\xd8jpeg"))
    wrong_id = httpx.Response(
        400,
        json={
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: wrong file identifier/HTTP URL specified",
        },
    )
    route = respx.post(api_url("sendPhoto")).mock(
        side_effect=[ok("sendPhoto.json"), wrong_id, ok("sendPhoto.json")]
    )

    send(bot, _photo())
    assert send(bot, _photo()) == "1111111:1377"

    kinds = [call.request.headers["content-type"].split(";")[0] for call in route.calls]
    assert kinds == ["multipart/form-data", "application/json", "multipart/form-data"]


@respx.mock
def test_a_file_id_is_kept_for_its_own_bot(alpha, media_root):
    other_token = "6666666666:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
    first = telegram_connection(alpha.tenant)
    second = telegram_connection(alpha.tenant, token=other_token, name="Outra Loja")
    with tenant_scope(alpha.tenant):
        default_storage.save("tenants/alpha/campaigns/c1/oferta.jpg", ContentFile(b"\xff\xd8jpeg"))
        mine = respx.post(api_url("sendPhoto")).mock(return_value=ok("sendPhoto.json"))
        theirs = respx.post(api_url("sendPhoto", other_token)).mock(
            return_value=ok("sendPhoto.json")
        )
        send(first, _photo())
        send(second, _photo())

    assert b'filename="oferta.jpg"' in mine.calls.last.request.content
    assert b'filename="oferta.jpg"' in theirs.calls.last.request.content


@respx.mock
def test_a_location_is_sent_with_send_location(bot):
    route = respx.post(api_url("sendLocation")).mock(return_value=ok("sendMessage.json"))

    send(
        bot,
        OutboundMessage(
            idempotency_key="k",
            recipient="1111111",
            kind="location",
            extra={"latitude": -23.5, "longitude": -46.6},
        ),
    )

    assert json.loads(route.calls.last.request.content) == {
        "chat_id": "1111111",
        "latitude": -23.5,
        "longitude": -46.6,
    }


@pytest.mark.parametrize(
    ("response", "permanent", "code", "retry_after"),
    [
        (error("error_bot_blocked.json"), True, "bot_blocked", None),
        (error("error_chat_not_found.json"), True, "chat_not_found", None),
        (error("error_too_many_requests.json"), False, "rate_limited", 7.0),
        (httpx.Response(502, text="Bad Gateway"), False, "unavailable", None),
    ],
)
def test_errors_are_classified_as_temporary_or_permanent(
    bot, response, permanent, code, retry_after
):
    message = _text()
    with respx.mock:
        respx.post(api_url("sendMessage")).mock(return_value=response)
        with pytest.raises(ProviderError) as exc:
            send(bot, message)

    assert (exc.value.permanent, exc.value.code, exc.value.retry_after) == (
        permanent,
        code,
        retry_after,
    )


def test_a_network_error_is_temporary_and_never_shows_the_token(bot):
    message = _text()
    with respx.mock:
        respx.post(api_url("sendMessage")).mock(
            side_effect=httpx.ConnectError(f"cannot reach {api_url('sendMessage')}")
        )
        with pytest.raises(ProviderError) as exc:
            send(bot, message)

    assert (exc.value.permanent, exc.value.code) == (False, "network_error")
    assert TOKEN not in exc.value.detail
    assert "<token>" in exc.value.detail


@respx.mock
def test_an_agents_reply_goes_out_through_the_pipeline_quoting_the_customer(
    bot, django_capture_on_commit_callbacks
):
    route = respx.post(api_url("sendMessage")).mock(return_value=ok("sendMessage.json"))
    contact, _ = contact_upsert_from_identity(
        provider="telegram", external_id="1111111", name="Ana"
    )
    question, _ = message_receive(
        received=ReceivedMessage(
            connection=bot, contact=contact, body="Cadê?", provider_message_id="1111111:1365"
        )
    )
    ticket = question.ticket
    admin = AdminFactory()
    Ticket.objects.filter(pk=ticket.pk).update(status="open", assignee=admin)
    ticket.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        reply = message_send(ticket=ticket, by=admin, body="Já saiu!", quoted=question)
    outbound_message_deliver_task.apply(args=(reply.delivery.pk,))

    sent = json.loads(route.calls.last.request.content)
    assert (sent["chat_id"], sent["text"]) == ("1111111", "Já saiu!")
    assert sent["reply_parameters"]["message_id"] == 1365
    reply.refresh_from_db()
    assert (reply.status, reply.provider_message_id) == ("sent", "1111111:1366")


@respx.mock
def test_a_blocked_bot_fails_the_message_with_telegrams_reason(
    bot, media_root, django_capture_on_commit_callbacks
):
    respx.post(api_url("sendDocument")).mock(return_value=error("error_bot_blocked.json"))
    contact, _ = contact_upsert_from_identity(
        provider="telegram", external_id="1111111", name="Ana"
    )
    first, _ = message_receive(received=ReceivedMessage(connection=bot, contact=contact, body="oi"))
    admin = AdminFactory()
    Ticket.objects.filter(pk=first.ticket_id).update(status="open", assignee=admin)
    ticket = Ticket.objects.get(pk=first.ticket_id)

    with django_capture_on_commit_callbacks(execute=True):
        reply = message_send(
            ticket=ticket,
            by=admin,
            media=SimpleUploadedFile("boleto.pdf", b"%PDF-1.4", content_type="application/pdf"),
        )
    outbound_message_deliver_task.apply(args=(reply.delivery.pk,))

    reply = Message.objects.get(pk=reply.pk)
    assert (reply.status, reply.error_code, reply.error_detail) == (
        "failed",
        "bot_blocked",
        "Forbidden: bot was blocked by the user",
    )
    assert OutboundDelivery.objects.get().attempts == 1


@pytest.mark.parametrize(
    ("mime", "extra", "method", "field"),
    [
        ("audio/ogg", {"voice": True}, "sendVoice", "voice"),  # a voice note, Ogg/Opus
        ("audio/mp4", {"voice": True}, "sendVoice", "voice"),  # a voice note, M4A (Safari)
        ("audio/mp4", {}, "sendAudio", "audio"),  # an attached M4A: a track
        ("audio/mpeg", {}, "sendAudio", "audio"),
        ("audio/webm", {}, "sendDocument", "document"),  # sendAudio plays MP3 and M4A only
    ],
)
@respx.mock
def test_audio_goes_out_as_a_voice_note_a_track_or_a_file(
    bot, media_backend, mime, extra, method, field
):
    route = respx.post(api_url(method)).mock(return_value=ok("sendPhoto.json"))
    default_storage.save("tenants/alpha/messages/v/voice-note", ContentFile(b"audio bytes"))
    message = OutboundMessage(
        idempotency_key="k1",
        recipient="1111111",
        kind="audio",
        media_name="tenants/alpha/messages/v/voice-note",
        media_mime_type=mime,
        media_filename="voice-note",
        extra=extra,
    )

    assert send(bot, message) == "1111111:1377"
    assert f'name="{field}"; filename="voice-note"'.encode() in route.calls.last.request.content
