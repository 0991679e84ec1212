"""Telegram updates through the connection's webhook URL: verified by the secret-token header,
stored once, processed into messages with their files."""

import json

import httpx
import pytest
import respx

from channels_integrations.models import InboundEvent
from channels_integrations.providers.telegram.tests.support import (
    api_url,
    error,
    file_url,
    fixture,
    fixture_bytes,
    ok,
    post_update,
    telegram_connection,
)
from channels_integrations.tests.support import process_all
from contacts.models import Contact, ContactIdentity
from tenants.tenancy import tenant_scope
from tickets.models import Message

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100


@pytest.fixture
def bot(alpha, media_root):
    return telegram_connection(alpha.tenant)


def _messages(tenant):
    with tenant_scope(tenant):
        return list(Message.objects.order_by("id"))


def _events(tenant):
    with tenant_scope(tenant):
        return InboundEvent.objects.count()


def test_the_same_update_delivered_ten_times_is_one_message(
    alpha, bot, django_capture_on_commit_callbacks
):
    body = fixture_bytes("message_text.json")

    with django_capture_on_commit_callbacks(execute=True):
        responses = [post_update(bot, body) for _ in range(10)]
    process_all(alpha.tenant)

    assert {response.status_code for response in responses} == {200}
    [message] = _messages(alpha.tenant)
    assert message.body == "Olá, preciso de ajuda com meu pedido"
    assert message.provider_message_id == "1111111:1365"
    with tenant_scope(alpha.tenant):
        identity = ContactIdentity.objects.get()
        assert (identity.provider, identity.external_id, identity.contact.name) == (
            "telegram",
            "1111111",
            "Ana Souza",
        )


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_a_wrong_or_missing_secret_token_is_403_and_nothing_is_stored(alpha, bot, secret):
    response = post_update(bot, fixture_bytes("message_text.json"), secret=secret)

    assert (response.status_code, response.json()["code"]) == (403, "webhook_forbidden")
    assert _events(alpha.tenant) == 0
    with tenant_scope(alpha.tenant):
        assert not Contact.objects.exists()


def test_an_unknown_webhook_token_is_404(alpha, bot):
    response = post_update(bot, fixture_bytes("message_text.json"), token="x" * 43)

    assert response.status_code == 404
    assert _events(alpha.tenant) == 0


def test_updates_we_ignore_are_still_acknowledged(alpha, bot):
    responses = [
        post_update(bot, fixture_bytes(name))
        for name in ("my_chat_member.json", "message_group.json")
    ]

    assert [r.status_code for r in responses] == [200, 200]
    assert _events(alpha.tenant) == 0


@respx.mock
def test_a_photo_is_fetched_with_get_file_and_stored_privately(
    alpha, bot, media_backend, django_capture_on_commit_callbacks
):
    """On the local disk and on the object store alike."""
    get_file = respx.post(api_url("getFile")).mock(return_value=ok("getFile.json"))
    download = respx.get(file_url("photos/file_12.jpg")).mock(
        return_value=httpx.Response(
            200, content=JPEG, headers={"content-type": "application/octet-stream"}
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        post_update(bot, fixture_bytes("message_photo.json"))
    process_all(alpha.tenant)

    [message] = _messages(alpha.tenant)
    assert get_file.calls.last.request.content == b'{"file_id":"AgACAgEAAxkBAAIBa2V0bGFyZ2U"}'
    assert download.call_count == 1
    assert (message.kind, message.body, message.media_mime) == (
        "image",
        "Chegou assim",
        "image/jpeg",
    )
    assert message.media.name.startswith("tenants/alpha/messages/")
    with message.media.open("rb") as stored:
        assert stored.read() == JPEG


@respx.mock
def test_a_video_above_the_limit_is_stored_with_a_media_error_and_acknowledged(
    alpha, bot, django_capture_on_commit_callbacks
):
    get_file = respx.post(api_url("getFile")).mock(return_value=ok("getFile.json"))

    with django_capture_on_commit_callbacks(execute=True):
        response = post_update(bot, fixture_bytes("message_video.json"))  # 48 MB
    process_all(alpha.tenant)

    assert response.status_code == 200
    assert get_file.call_count == 0
    [message] = _messages(alpha.tenant)
    assert (message.kind, message.body, message.media_error) == (
        "video",
        "Veja o defeito",
        "media_too_large",
    )
    assert message.media_name == "defeito.mp4"


@respx.mock
def test_a_file_telegram_will_not_hand_over_is_a_media_error(
    alpha, bot, django_capture_on_commit_callbacks
):
    respx.post(api_url("getFile")).mock(return_value=error("error_file_too_big.json"))

    with django_capture_on_commit_callbacks(execute=True):
        post_update(bot, fixture_bytes("message_document.json"))
    process_all(alpha.tenant)

    [message] = _messages(alpha.tenant)
    assert message.media_error == "media_too_large"


@respx.mock
def test_an_animated_sticker_type_is_not_kept_but_its_emoji_is(
    alpha, bot, django_capture_on_commit_callbacks
):
    update = fixture("message_sticker.json")
    update["message"]["sticker"]["is_animated"] = True
    respx.post(api_url("getFile")).mock(
        return_value=httpx.Response(
            200, json={"ok": True, "result": {"file_id": "x", "file_path": "stickers/s.tgs"}}
        )
    )
    respx.get(file_url("stickers/s.tgs")).mock(return_value=httpx.Response(200, content=b"{}"))

    with django_capture_on_commit_callbacks(execute=True):
        post_update(bot, json.dumps(update).encode())
    process_all(alpha.tenant)

    [message] = _messages(alpha.tenant)
    assert (message.kind, message.body, message.media_error) == (
        "sticker",
        "👍",
        "media_type_not_allowed",
    )


def test_an_edit_replaces_the_text_of_the_stored_message(
    alpha, bot, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_update(bot, fixture_bytes("message_text.json"))
        post_update(bot, fixture_bytes("edited_message.json"))
    process_all(alpha.tenant)

    [message] = _messages(alpha.tenant)
    assert message.body == "Olá, preciso de ajuda com meu pedido 4521"
    assert message.edited_at is not None


def test_location_contact_and_unsupported_messages(alpha, bot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("message_location.json", "message_contact.json", "message_poll.json"):
            post_update(bot, fixture_bytes(name))
    process_all(alpha.tenant)

    location, card, poll = _messages(alpha.tenant)
    assert (location.kind, location.payload) == (
        "location",
        {"latitude": -23.561414, "longitude": -46.655881},
    )
    assert (card.kind, card.payload["phone_number"]) == ("contact_card", "+5511987654321")
    assert poll.kind == "unsupported"
    assert poll.payload["raw"]["message"]["poll"]["question"] == "Qual horário?"
    with tenant_scope(alpha.tenant):
        assert Contact.objects.get().phone == "+5511987654321"  # the sender shared their own


def test_two_tenants_bots_with_the_same_chat_and_update_ids_stay_apart(
    alpha, beta, media_root, django_capture_on_commit_callbacks
):
    at_alpha = telegram_connection(alpha.tenant)
    at_beta = telegram_connection(
        beta.tenant, token="6666666666:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
    )
    update = fixture("message_text.json")

    with django_capture_on_commit_callbacks(execute=True):
        update["message"]["text"] = "para alpha"
        post_update(at_alpha, json.dumps(update).encode())
        update["message"]["text"] = "para beta"
        post_update(at_beta, json.dumps(update).encode())
        # alpha's secret on beta's URL does not verify
        crossed = post_update(
            at_beta,
            fixture_bytes("message_reply.json"),
            secret=at_alpha.credentials["webhook_secret"],
        )
    process_all(alpha.tenant)
    process_all(beta.tenant)

    assert crossed.status_code == 403
    assert [m.body for m in _messages(alpha.tenant)] == ["para alpha"]
    assert [m.body for m in _messages(beta.tenant)] == ["para beta"]
