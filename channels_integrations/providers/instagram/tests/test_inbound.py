"""Instagram messaging webhook bodies (fixtures/) → neutral inbound items."""

from channels_integrations.providers.base import InboundMessage, InboundStatus
from channels_integrations.providers.instagram.provider import InstagramProvider
from channels_integrations.providers.meta.tests.support import load_fixture

IGSID = "1110866273958297"
MID = (
    "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0MDI4MjM2Njg0MTcxMDMwMTI0"
    "NDI3NjAyNzk3MTA4MjE3NDI3MDoxMDAw"
)
OUR_MID = (
    "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0MDI4MjM2Njg0MTcxMDMwMTI0"
    "NDI3NjAyNzk3MTA4MjE3NDI3MDo5OTk5"
)


def parse(name):
    return InstagramProvider().parse_inbound(load_fixture("instagram", name))


def test_a_text_message():
    (message,) = parse("message_text")
    assert isinstance(message, InboundMessage)
    assert (message.event_id, message.provider_message_id) == (MID, MID)
    assert (message.kind, message.body, message.external_id) == (
        "text",
        "Do you ship to Lisbon?",
        IGSID,
    )


def test_several_images_become_one_item_each_with_unique_ids():
    first, second = parse("message_images")
    assert (first.kind, second.kind) == ("image", "image")
    assert second.provider_message_id == f"{first.provider_message_id}:1"
    assert first.media.provider_media_id.endswith("signature=AbxYz01")
    assert second.media.provider_media_id.endswith("signature=AbxYz02")


def test_an_audio_attachment():
    (message,) = parse("message_audio")
    assert message.kind == "audio"
    assert message.media.provider_media_id.startswith("https://lookaside.fbsbx.com/")


def test_a_shared_post_and_a_story_mention_are_unsupported_with_their_url():
    (share,) = parse("message_share")
    (mention,) = parse("story_mention")
    assert (share.kind, share.extra["attachment_type"]) == ("unsupported", "share")
    assert share.extra["url"] == "https://www.instagram.com/p/C1a2b3c4d5e/"
    assert (mention.kind, mention.extra["attachment_type"]) == ("unsupported", "story_mention")
    assert mention.raw["type"] == "story_mention"
    assert share.media is None
    assert mention.media is None


def test_a_reply_to_a_story_keeps_the_story():
    (message,) = parse("story_reply")
    assert (message.kind, message.body) == ("text", "Love this color!")
    assert message.extra["reply_to_story"]["id"] == "17920304560044712"
    assert message.quoted_provider_message_id == ""


def test_a_reaction_and_its_removal():
    (reaction,) = parse("reaction")
    (removal,) = parse("unreaction")
    assert (reaction.kind, reaction.body, reaction.quoted_provider_message_id) == (
        "reaction",
        "\u2764\ufe0f",
        OUR_MID,
    )
    assert (removal.kind, removal.body, removal.extra["action"]) == ("reaction", "", "unreact")
    assert removal.quoted_provider_message_id == OUR_MID
    assert reaction.event_id != removal.event_id


def test_a_seen_receipt_names_the_message_read():
    (status,) = parse("messaging_seen")
    assert isinstance(status, InboundStatus)
    assert (status.provider_message_id, status.status, status.event_id) == (
        OUR_MID,
        "read",
        f"{OUR_MID}:read",
    )
    assert status.external_id == IGSID


def test_a_deleted_message_is_a_deletion_of_that_message():
    (message,) = parse("message_deleted")
    assert message.is_deletion is True
    assert message.provider_message_id == MID
    assert message.event_id == f"{MID}:deleted"
    assert message.body == ""


def test_an_echo_is_a_message_of_the_business_to_the_recipient():
    (echo,) = parse("message_echo")
    assert echo.is_echo is True
    assert echo.external_id == "1110866273958297"
    assert (echo.kind, echo.body) == ("text", "Yes, we ship to Portugal.")


def test_messenger_bodies_give_nothing():
    assert InstagramProvider().parse_inbound(load_fixture("messenger", "message_text")) == []
