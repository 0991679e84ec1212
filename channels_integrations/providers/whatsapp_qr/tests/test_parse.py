"""Evolution API v2 webhook bodies (documented shapes, in fixtures/) → neutral items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from channels_integrations.providers.base import (
    InboundMalformed,
    InboundMessage,
    InboundSession,
    InboundStatus,
)
from channels_integrations.providers.whatsapp_qr.provider import WhatsAppQrProvider

FIXTURES = Path(__file__).parent / "fixtures"
parse = WhatsAppQrProvider().parse_inbound


def _items(name: str) -> list:
    return parse((FIXTURES / name).read_bytes())


def test_a_text_names_its_customer_and_phone() -> None:
    [item] = _items("messages_upsert_text.json")
    assert isinstance(item, InboundMessage)
    assert (item.kind, item.body, item.external_id) == (
        "text",
        "Olá, meu pedido não chegou",
        "5511988887777",
    )
    assert (item.contact_name, item.contact_phone) == ("Ana Souza", "+5511988887777")
    assert (item.event_id, item.provider_message_id) == (
        "msg:3EB0A1B2C3D4E5F60718",
        "3EB0A1B2C3D4E5F60718",
    )
    assert not item.is_echo
    assert item.sent_at is not None


def test_a_reply_quotes_the_message_it_answers() -> None:
    [item] = _items("messages_upsert_quote.json")
    assert (item.body, item.quoted_provider_message_id) == ("Esse aqui", "3EB0OURS000000000001")


@pytest.mark.parametrize(
    ("name", "kind", "mime", "size", "body"),
    [
        ("messages_upsert_image.json", "image", "image/jpeg", 1337, "Chegou assim"),
        ("messages_upsert_ptt.json", "audio", "audio/ogg; codecs=opus", 4096, ""),
        ("messages_upsert_document.json", "document", "application/pdf", 2048, "A nota"),
        ("messages_upsert_sticker.json", "sticker", "image/webp", 9000, ""),
    ],
)
def test_files_are_fetched_later_by_their_message_id(name, kind, mime, size, body) -> None:
    [item] = _items(name)
    assert (item.kind, item.body) == (kind, body)
    assert item.media.provider_media_id == item.provider_message_id
    assert (item.media.mime_type, item.media.size) == (mime, size)


def test_a_voice_note_is_marked_as_one_and_a_document_keeps_its_name() -> None:
    [voice] = _items("messages_upsert_ptt.json")
    [document] = _items("messages_upsert_document.json")
    assert voice.extra == {"voice": True}
    assert document.media.filename == "nota.pdf"


def test_location_contact_card_and_reaction() -> None:
    [location] = _items("messages_upsert_location.json")
    [card] = _items("messages_upsert_contact.json")
    [reaction] = _items("messages_upsert_reaction.json")
    assert location.extra == {
        "latitude": -23.5613,
        "longitude": -46.6565,
        "name": "Loja Paulista",
        "address": "Av. Paulista, 1000",
    }
    assert card.kind == "contact_card"
    assert card.extra["contacts"] == [
        {
            "name": {"formatted_name": "João Lima"},
            "phones": [{"phone": "+55 11 97777-6666", "wa_id": "5511977776666"}],
        }
    ]
    assert (reaction.kind, reaction.body, reaction.quoted_provider_message_id) == (
        "reaction",
        "👍",
        "3EB0OURS000000000001",
    )


def test_edits_and_deletions_name_the_message_they_change() -> None:
    [edit] = _items("messages_upsert_edit.json")
    [deletion] = _items("messages_delete.json")
    assert (edit.is_edit, edit.provider_message_id, edit.body) == (
        True,
        "3EB0A1B2C3D4E5F60718",
        "Olá, meu pedido 123 não chegou",
    )
    assert (deletion.is_deletion, deletion.provider_message_id) == (True, "3EB0A1B2C3D4E5F60718")


def test_a_message_typed_on_the_phone_is_an_echo_of_the_business() -> None:
    [item] = _items("send_message_from_phone.json")
    assert item.is_echo
    assert (item.external_id, item.body, item.contact_name) == (
        "5511988887777",
        "Já estamos vendo!",
        "",
    )


@pytest.mark.parametrize(
    ("name", "status"),
    [("messages_update_read.json", "read"), ("messages_update_played.json", "read")],
)
def test_ticks_are_statuses_of_our_messages(name, status) -> None:
    [item] = _items(name)
    assert isinstance(item, InboundStatus)
    assert item.status == status
    assert item.provider_message_id.startswith("3EB0OURS")


def test_session_events() -> None:
    [qr] = _items("qrcode_updated.json")
    [opened] = _items("connection_update_open.json")
    [replaced] = _items("connection_update_replaced.json")
    assert isinstance(qr, InboundSession)
    assert qr.qr_image.startswith("data:image/png;base64,")
    assert qr.state == ""
    assert (opened.state, opened.number, opened.profile_name) == (
        "open",
        "5511900000000",
        "Loja da Ana",
    )
    assert (replaced.state, replaced.reason) == ("closed", "replaced")


def test_a_group_message_is_the_groups_and_names_its_sender() -> None:
    [item] = _items("messages_upsert_group.json")
    assert isinstance(item, InboundMessage)
    assert (item.external_id, item.is_group, item.body) == (
        "120363025246125244@g.us",
        True,
        "Oi grupo",
    )
    # The group is named by its subject, never by whoever wrote; the sender rides along.
    assert (item.contact_name, item.contact_phone) == ("", "")
    assert item.extra["group_sender"] == {"name": "Ana Souza", "number": "5511988887777"}


def test_a_group_senders_hidden_number_is_read_from_its_alternative() -> None:
    body = json.loads((FIXTURES / "messages_upsert_group.json").read_text())
    body["data"]["key"]["participant"] = "123456789012345@lid"
    body["data"]["key"]["participantAlt"] = "5511977776666@s.whatsapp.net"
    [item] = parse(json.dumps(body).encode())
    assert isinstance(item, InboundMessage)
    assert item.extra["group_sender"]["number"] == "5511977776666"


def test_an_image_that_is_not_a_png_is_never_shown() -> None:
    body = json.loads((FIXTURES / "qrcode_updated.json").read_text())
    body["data"]["qrcode"]["base64"] = "data:text/html;base64,PHNjcmlwdD4="
    assert parse(json.dumps(body).encode()) == []


def test_a_message_without_its_id_is_quarantined() -> None:
    body = json.loads((FIXTURES / "messages_upsert_text.json").read_text())
    del body["data"]["key"]["id"]
    [item] = parse(json.dumps(body).encode())
    assert isinstance(item, InboundMalformed)
    assert item.reason == "message_without_id"
