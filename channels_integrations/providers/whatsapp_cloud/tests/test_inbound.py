"""Documented WhatsApp webhook bodies (fixtures/) → neutral inbound items."""

import json
from datetime import UTC, datetime

import pytest

from channels_integrations.providers.base import (
    InboundMalformed,
    InboundMedia,
    InboundMessage,
    InboundStatus,
)
from channels_integrations.providers.meta.tests.support import load_fixture
from channels_integrations.providers.whatsapp_cloud.provider import WhatsAppCloudProvider

WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
OUR_MESSAGE = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NjlGQkZGNTI0RkY0RkYyMkYA"


def parse(name):
    return WhatsAppCloudProvider().parse_inbound(load_fixture("whatsapp_cloud", name))


def only_message(name) -> InboundMessage:
    items = parse(name)
    assert len(items) == 1
    assert isinstance(items[0], InboundMessage)
    return items[0]


def test_a_text_message_names_its_contact_and_time():
    message = only_message("text")
    assert message.event_id == message.provider_message_id == WAMID
    assert (message.kind, message.body) == ("text", "Does it come in another color?")
    assert message.external_id == "16505551234"
    assert message.contact_phone == "+16505551234"
    assert message.contact_name == "Sheena Nelson"
    assert message.sent_at == datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC)
    assert message.quoted_provider_message_id == ""
    assert message.raw == {}


def test_a_reply_quotes_the_context_message():
    message = only_message("text_reply")
    assert message.quoted_provider_message_id == OUR_MESSAGE
    assert message.body == "Yes, the blue one please"


@pytest.mark.parametrize(
    ("name", "kind", "media", "body", "extra"),
    [
        (
            "image",
            "image",
            InboundMedia(provider_media_id="1003383421387256", mime_type="image/jpeg"),
            "Is this the right model?",
            {},
        ),
        (
            "audio_voice",
            "audio",
            InboundMedia(provider_media_id="1251932622891735", mime_type="audio/ogg; codecs=opus"),
            "",
            {"voice": True},
        ),
        (
            "video",
            "video",
            InboundMedia(provider_media_id="1184261306539577", mime_type="video/mp4"),
            "It makes this noise",
            {},
        ),
        (
            "document",
            "document",
            InboundMedia(
                provider_media_id="1073456789012345",
                mime_type="application/pdf",
                filename="receipt-2025-06.pdf",
            ),
            "Here is the receipt",
            {},
        ),
        (
            "sticker",
            "sticker",
            InboundMedia(provider_media_id="1230929358406520", mime_type="image/webp"),
            "",
            {"animated": False},
        ),
    ],
)
def test_media_messages_carry_the_media_id_to_download(name, kind, media, body, extra):
    message = only_message(name)
    assert (message.kind, message.media, message.body, message.extra) == (kind, media, body, extra)


def test_a_location_keeps_its_coordinates():
    message = only_message("location")
    assert message.kind == "location"
    assert message.extra == {
        "latitude": 37.483307,
        "longitude": -122.148981,
        "name": "Main office",
        "address": "1 Hacker Way, Menlo Park, CA 94025",
        "url": "https://www.facebook.com",
    }
    assert message.body == "Main office - 1 Hacker Way, Menlo Park, CA 94025"
    assert message.media is None


def test_a_contact_card_keeps_the_cards():
    message = only_message("contacts")
    assert message.kind == "contact_card"
    assert message.body == "Barbara J. Johnson"
    (card,) = message.extra["contacts"]
    assert card["phones"][0]["phone"] == "+1 (650) 555-1234"


def test_a_reaction_points_at_the_reacted_message():
    message = only_message("reaction")
    assert (message.kind, message.body) == ("reaction", "\U0001f44d")
    assert message.quoted_provider_message_id == OUR_MESSAGE
    assert message.extra == {"action": "react", "emoji": "\U0001f44d"}


def test_a_removed_reaction_has_an_empty_emoji():
    body = load_fixture("whatsapp_cloud", "reaction").replace(
        '"emoji": "\U0001f44d"'.encode(), b'"emoji": ""'
    )
    (message,) = WhatsAppCloudProvider().parse_inbound(body)
    assert (message.kind, message.body, message.extra["action"]) == ("reaction", "", "unreact")


@pytest.mark.parametrize(
    ("name", "body", "extra"),
    [
        (
            "interactive_button_reply",
            "Change",
            {"interactive_type": "button_reply", "reply_id": "change-button"},
        ),
        (
            "interactive_list_reply",
            "Express Shipping",
            {
                "interactive_type": "list_reply",
                "reply_id": "priority_express",
                "reply_description": "Next Day to 2 Days",
            },
        ),
        ("button", "Unsubscribe from Promos", {"button_payload": "Unsubscribe from Promos"}),
    ],
)
def test_button_and_list_replies_read_as_the_chosen_title(name, body, extra):
    message = only_message(name)
    assert (message.kind, message.body, message.extra) == ("text", body, extra)
    assert message.quoted_provider_message_id.startswith("wamid.")


def test_an_unsupported_message_keeps_the_raw_item():
    message = only_message("unsupported")
    assert message.kind == "unsupported"
    assert message.raw["unsupported"] == {"type": "poll_creation"}
    assert message.raw["errors"][0]["code"] == 131051


def test_an_unknown_type_is_unsupported_too():
    body = load_fixture("whatsapp_cloud", "text").replace(b'"type": "text"', b'"type": "order"')
    (message,) = WhatsAppCloudProvider().parse_inbound(body)
    assert (message.kind, message.body) == ("unsupported", "")
    assert message.raw["type"] == "order"


def test_statuses_are_keyed_by_message_and_status():
    (sent,) = parse("status_sent")
    delivered, read = parse("status_delivered_read")
    for status, value in ((sent, "sent"), (delivered, "delivered"), (read, "read")):
        assert isinstance(status, InboundStatus)
        assert status.provider_message_id == OUR_MESSAGE
        assert status.event_id == f"{OUR_MESSAGE}:{value}"
        assert status.status == value
        assert status.external_id == "16505551234"
        assert status.error_code == ""
    assert read.at == datetime(2025, 6, 18, 16, 23, 10, tzinfo=UTC)
    assert sent.raw["pricing"]["category"] == "service"


def test_a_failed_status_carries_the_error():
    (status,) = parse("status_failed")
    assert status.status == "failed"
    assert status.error_code == "whatsapp_window_closed"
    assert status.error_detail == (
        "Re-engagement message: Message failed to send because more than 24 hours have passed "
        "since the customer last replied to this number."
    )


def test_another_failure_code_is_kept():
    body = load_fixture("whatsapp_cloud", "status_failed").replace(b"131047", b"131026")
    (status,) = WhatsAppCloudProvider().parse_inbound(body)
    assert status.error_code == "meta_131026"


def test_a_voice_message_played_counts_as_read():
    body = load_fixture("whatsapp_cloud", "status_sent").replace(b'"sent"', b'"played"')
    (status,) = WhatsAppCloudProvider().parse_inbound(body)
    assert (status.status, status.event_id) == ("read", f"{OUR_MESSAGE}:played")


def test_errors_without_a_message_are_an_account_error_of_the_number():
    (error,) = parse("errors")
    assert (error.error_code, error.route_key) == ("meta_130429", "106540352242922")
    assert error.error_detail.startswith("Rate limit hit: Message failed to send")
    assert error.event_id.startswith("error:130429:")


def test_foreign_bodies_give_nothing():
    assert WhatsAppCloudProvider().parse_inbound(load_fixture("messenger", "message_text")) == []
    assert WhatsAppCloudProvider().parse_inbound(b"not json") == []


def test_a_customer_with_a_username_and_no_phone_is_identified_by_user_id():
    # Business-scoped user ids (2026): "from"/"wa_id" are omitted for username users.
    # https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
    body = json.loads(load_fixture("whatsapp_cloud", "text"))
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"] = [
        {
            "profile": {"name": "Sheena Nelson", "username": "@sheena"},
            "user_id": "US.13491208655302741918",
        }
    ]
    del value["messages"][0]["from"]
    value["messages"][0]["from_user_id"] = "US.13491208655302741918"
    (message,) = WhatsAppCloudProvider().parse_inbound(json.dumps(body).encode())
    assert message.external_id == "US.13491208655302741918"
    assert (message.contact_phone, message.contact_name) == ("", "Sheena Nelson")
    assert message.extra == {"user_id": "US.13491208655302741918", "username": "@sheena"}


def test_a_message_without_any_sender_id_is_quarantined_not_read():
    body = json.loads(load_fixture("whatsapp_cloud", "text"))
    del body["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
    body["entry"][0]["changes"][0]["value"]["contacts"] = []
    (item,) = WhatsAppCloudProvider().parse_inbound(json.dumps(body).encode())
    assert isinstance(item, InboundMalformed)
    assert (item.reason, item.route_key) == ("message_without_sender", "106540352242922")
    # Its raw body reads the same again (what a replay does).
    (again,) = WhatsAppCloudProvider().parse_inbound(json.dumps(item.raw).encode())
    assert again.event_id == item.event_id
