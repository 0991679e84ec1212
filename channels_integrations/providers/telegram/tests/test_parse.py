"""Telegram updates from the Bot API documentation become neutral items (pure parsing)."""

from datetime import UTC, datetime

import pytest

from channels_integrations.providers.telegram.provider import TelegramProvider
from channels_integrations.providers.telegram.tests.support import fixture_bytes

parse = TelegramProvider().parse_inbound


def _one(name):
    [item] = parse(fixture_bytes(name))
    return item


def test_a_text_message():
    # https://core.telegram.org/bots/api#message
    item = _one("message_text.json")

    assert (item.event_id, item.external_id, item.provider_message_id) == (
        "902177001",
        "1111111",
        "1111111:1365",
    )
    assert (item.kind, item.body, item.contact_name) == (
        "text",
        "Olá, preciso de ajuda com meu pedido",
        "Ana Souza",
    )
    assert item.sent_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert item.media is None
    assert not item.is_edit
    assert item.raw["update_id"] == 902177001


def test_a_reply_quotes_the_message_it_answers():
    # https://core.telegram.org/bots/api#message (reply_to_message)
    item = _one("message_reply.json")

    assert item.quoted_provider_message_id == "1111111:1366"
    assert item.body == "É o 4521"


@pytest.mark.parametrize(
    ("name", "kind", "body", "file_id", "mime", "filename", "size"),
    [
        # https://core.telegram.org/bots/api#photosize: the largest size is the last one
        (
            "message_photo.json",
            "image",
            "Chegou assim",
            "AgACAgEAAxkBAAIBa2V0bGFyZ2U",
            "image/jpeg",
            "",
            70212,
        ),
        # https://core.telegram.org/bots/api#voice
        ("message_voice.json", "audio", "", "AwACAgEAAxkBAAIBbXZvaWNl", "audio/ogg", "", 9874),
        # https://core.telegram.org/bots/api#audio
        (
            "message_audio.json",
            "audio",
            "",
            "CQACAgEAAxkBAAIBbmF1ZGlv",
            "audio/mpeg",
            "jingle.mp3",
            2912031,
        ),
        # https://core.telegram.org/bots/api#video
        (
            "message_video.json",
            "video",
            "Veja o defeito",
            "BAACAgEAAxkBAAIBb3ZpZGVv",
            "video/mp4",
            "defeito.mp4",
            48234011,
        ),
        # https://core.telegram.org/bots/api#document
        (
            "message_document.json",
            "document",
            "",
            "BQACAgEAAxkBAAIBcGRvY3VtZW50",
            "application/pdf",
            "nota-fiscal.pdf",
            84231,
        ),
        # https://core.telegram.org/bots/api#sticker
        (
            "message_sticker.json",
            "sticker",
            "👍",
            "CAACAgIAAxkBAAIBcXN0aWNrZXI",
            "image/webp",
            "",
            22148,
        ),
    ],
)
def test_messages_with_a_file(name, kind, body, file_id, mime, filename, size):
    item = _one(name)

    assert (item.kind, item.body) == (kind, body)
    assert (item.media.provider_media_id, item.media.mime_type) == (file_id, mime)
    assert (item.media.filename, item.media.size) == (filename, size)


def test_a_location():
    # https://core.telegram.org/bots/api#location
    item = _one("message_location.json")

    assert item.kind == "location"
    assert item.extra == {"latitude": -23.561414, "longitude": -46.655881}


def test_the_senders_own_contact_card_gives_their_phone():
    # https://core.telegram.org/bots/api#contact
    item = _one("message_contact.json")

    assert (item.kind, item.body, item.contact_phone) == (
        "contact_card",
        "Ana Souza",
        "+5511987654321",
    )
    assert item.extra["phone_number"] == "+5511987654321"


def test_an_edit_names_the_original_message_and_its_new_text():
    # https://core.telegram.org/bots/api#update (edited_message)
    item = _one("edited_message.json")

    assert item.is_edit
    assert item.provider_message_id == "1111111:1365"
    assert item.body == "Olá, preciso de ajuda com meu pedido 4521"
    assert item.sent_at == datetime.fromtimestamp(1700000600, tz=UTC)


def test_a_kind_we_do_not_handle_is_unsupported_and_keeps_the_update():
    # https://core.telegram.org/bots/api#poll
    item = _one("message_poll.json")

    assert item.kind == "unsupported"
    assert item.raw["message"]["poll"]["question"] == "Qual horário?"


@pytest.mark.parametrize("name", ["message_group.json", "my_chat_member.json"])
def test_group_messages_and_other_updates_are_acknowledged_without_items(name):
    # https://core.telegram.org/bots/api#chat (type), https://core.telegram.org/bots/api#chatmemberupdated
    assert parse(fixture_bytes(name)) == []


@pytest.mark.parametrize("body", [b"[]", b'{"message": {}}', b"not json", b'{"update_id": "1"}'])
def test_a_body_that_is_no_update_is_refused(body):
    with pytest.raises(ValueError):  # noqa: PT011  (JSONDecodeError is a ValueError too)
        parse(body)
