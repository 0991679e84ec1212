"""Documented Messenger webhook events (fixtures/) → neutral inbound items."""

from datetime import UTC, datetime

from channels_integrations.providers.base import InboundMedia, InboundMessage, InboundStatus
from channels_integrations.providers.messenger.provider import MessengerProvider
from channels_integrations.providers.meta.tests.support import load_fixture

PSID = "1254477777772919"


def parse(name):
    return MessengerProvider().parse_inbound(load_fixture("messenger", name))


def test_a_text_with_quick_reply_payload():
    (message,) = parse("message_text")
    assert isinstance(message, InboundMessage)
    assert message.event_id == message.provider_message_id == "m_1457764197618:41d102a3e1ae206a38"
    assert (message.kind, message.body) == ("text", "hello, world!")
    assert message.external_id == PSID
    assert message.extra == {"quick_reply_payload": "COLOR_RED"}
    assert message.sent_at == datetime(2016, 3, 23, 0, 25, 52, 478000, tzinfo=UTC)
    # Messenger webhooks carry no name or phone; the profile is another call.
    assert (message.contact_name, message.contact_phone) == ("", "")


def test_a_reply_quotes_the_replied_message():
    (message,) = parse("message_reply")
    assert message.quoted_provider_message_id == "m_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU"


def test_an_image_points_at_its_cdn_url():
    (message,) = parse("message_image")
    assert message.kind == "image"
    assert message.media.provider_media_id.startswith("https://scontent.xx.fbcdn.net/")
    assert message.media.filename.endswith("_n.jpg")


def test_a_file_is_a_document_named_after_its_url():
    (message,) = parse("message_file")
    assert message.kind == "document"
    assert message.media == InboundMedia(
        provider_media_id=(
            "https://cdn.fbsbx.com/v/t59.2708-21/488000000_1000000000000001_1_n.pdf/"
            "invoice-1042.pdf?_nc_cat=101&oh=03_AYB&oe=67F00001"
        ),
        filename="invoice-1042.pdf",
    )


def test_an_image_with_sticker_id_is_a_sticker():
    (message,) = parse("message_sticker")
    assert message.kind == "sticker"
    assert message.extra == {"sticker_id": "369239263222822"}
    assert message.media is not None


def test_a_link_fallback_is_unsupported_but_keeps_text_and_url():
    (message,) = parse("message_fallback")
    assert message.kind == "unsupported"
    assert message.body == "https://www.example.com/product/42"
    assert message.extra == {
        "attachment_type": "fallback",
        "url": "https://www.example.com/product/42",
        "title": "Product 42",
    }
    assert message.raw["type"] == "fallback"


def test_an_echo_is_a_message_of_the_business_to_the_recipient():
    (echo,) = parse("message_echo")
    assert echo.is_echo is True
    assert (echo.external_id, echo.provider_message_id) == (
        PSID,
        "mid.1457764197618:41d102a3e1ae206a38",
    )
    assert (echo.kind, echo.body) == ("text", "Thanks, we are on it.")
    assert echo.extra == {"app_id": "1517776481860111"}


def test_any_event_sent_by_the_page_itself_is_dropped():
    body = load_fixture("messenger", "message_text").replace(
        f'"id": "{PSID}"'.encode(), b'"id": "682498302938465"'
    )
    assert MessengerProvider().parse_inbound(body) == []


def test_an_edit_replaces_the_body_of_the_message():
    (message,) = parse("message_edit")
    assert message.is_edit is True
    assert message.provider_message_id == "m_1457764197618:41d102a3e1ae206a38"
    assert message.body == "hello, world! (edited)"
    assert message.event_id == "m_1457764197618:41d102a3e1ae206a38:edit:1"


def test_a_reaction_points_at_the_reacted_message():
    (message,) = parse("message_reaction")
    reacted = (
        "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"
    )
    assert (message.kind, message.body) == ("reaction", "\u2764\ufe0f")
    assert message.quoted_provider_message_id == reacted
    assert message.extra == {"action": "react", "reaction": "love", "emoji": "\u2764\ufe0f"}
    assert message.provider_message_id == message.event_id != reacted


def test_a_delivery_with_mids_marks_each_message_delivered_and_keeps_its_watermark():
    status, watermark = parse("delivery")
    assert isinstance(status, InboundStatus)
    assert status.provider_message_id == "mid.1458668856218:ed81099e15d3f4f233"
    assert (status.status, status.event_id) == (
        "delivered",
        "mid.1458668856218:ed81099e15d3f4f233:delivered",
    )
    assert status.external_id == PSID
    # "All messages that were sent before this timestamp were delivered" (message-deliveries).
    assert (watermark.provider_message_id, watermark.status) == ("", "delivered")
    assert watermark.event_id == f"delivered:{PSID}:1458668856253"
    assert watermark.at == datetime(2016, 3, 22, 17, 47, 36, 253000, tzinfo=UTC)


def test_a_delivery_without_mids_is_a_watermark():
    (status,) = parse("delivery_watermark")
    assert (status.provider_message_id, status.status) == ("", "delivered")
    assert status.at == datetime(2016, 3, 22, 17, 47, 36, 253000, tzinfo=UTC)
    assert status.external_id == PSID
    assert status.event_id == f"delivered:{PSID}:1458668856253"


def test_a_read_receipt_is_a_watermark_for_the_customer():
    (status,) = parse("read")
    assert (status.provider_message_id, status.status) == ("", "read")
    assert status.at == datetime(2016, 3, 22, 17, 47, 36, 253000, tzinfo=UTC)
    assert status.external_id == PSID
    assert status.raw == {"watermark": 1458668856253}


def test_a_postback_reads_as_the_button_title():
    (message,) = parse("postback")
    assert (message.kind, message.body) == ("text", "Talk to an agent")
    assert message.extra == {"postback_payload": "TALK_TO_AGENT"}


def test_foreign_and_broken_bodies_give_nothing():
    assert MessengerProvider().parse_inbound(load_fixture("instagram", "message_text")) == []
    assert MessengerProvider().parse_inbound(b"{") == []
