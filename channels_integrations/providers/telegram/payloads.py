"""Telegram updates → neutral inbound items. Pure functions: no database, no network.

Update: https://core.telegram.org/bots/api#update; Message:
https://core.telegram.org/bots/api#message. A message id is unique only within its chat, so
our provider message id is ``"<chat id>:<message id>"``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from channels_integrations.providers.base import (
    InboundItem,
    InboundMedia,
    InboundMessage,
    malformed_item,
)
from tickets.models import Message

Kind = Message.Kind

# Update kinds that carry a customer message; anything else (membership changes, polls'
# answers...) is acknowledged and ignored: providers re-send what is not a 200.
MESSAGE_UPDATES = ("message", "edited_message")
# Every update kind we handle: what setWebhook's ``allowed_updates`` subscribes to. A
# ``callback_query`` is a tap on an inline keyboard button of one of our messages.
HANDLED_UPDATES = (*MESSAGE_UPDATES, "callback_query")
# Message contents we do not handle, named on the placeholder agents see.
UNSUPPORTED_CONTENT = ("poll", "dice", "game", "story", "invoice", "paid_media", "checklist")
# Helpdesk conversations are private chats; a bot added to a group or channel stays silent there.
PRIVATE = "private"


def message_key(chat_id: object, message_id: object) -> str:
    return f"{chat_id}:{message_id}"


def _name(user: dict[str, Any]) -> str:
    return " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)


def _at(timestamp: object) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if isinstance(timestamp, int) else None


def _media(obj: dict[str, Any], mime: str = "") -> InboundMedia:
    return InboundMedia(
        provider_media_id=str(obj["file_id"]),
        mime_type=str(obj.get("mime_type") or mime),
        filename=str(obj.get("file_name") or ""),
        size=obj.get("file_size") if isinstance(obj.get("file_size"), int) else None,
    )


def _content(message: dict[str, Any]) -> tuple[str, str, InboundMedia | None, dict[str, Any]]:
    """``(kind, body, media, extra)`` of a Telegram message."""
    caption = str(message.get("caption") or "")
    if "text" in message:
        return Kind.TEXT, str(message["text"]), None, {}
    if message.get("photo"):
        largest = message["photo"][-1]  # sizes come smallest first
        return Kind.IMAGE, caption, _media(largest, "image/jpeg"), {}
    if "voice" in message:
        voice = message["voice"]
        return Kind.AUDIO, caption, _media(voice, "audio/ogg"), {"voice": True}
    if "audio" in message:
        audio = message["audio"]
        extra = {key: audio[key] for key in ("title", "performer", "duration") if key in audio}
        return Kind.AUDIO, caption, _media(audio, "audio/mpeg"), extra
    if "video_note" in message:
        return Kind.VIDEO, "", _media(message["video_note"], "video/mp4"), {"video_note": True}
    if "animation" in message:  # GIFs arrive as MP4 animations (with a document twin)
        return Kind.VIDEO, caption, _media(message["animation"], "video/mp4"), {"animation": True}
    if "video" in message:
        return Kind.VIDEO, caption, _media(message["video"], "video/mp4"), {}
    if "document" in message:
        return Kind.DOCUMENT, caption, _media(message["document"]), {}
    if "sticker" in message:
        sticker = message["sticker"]
        if sticker.get("is_animated"):
            mime = "application/x-tgsticker"
        elif sticker.get("is_video"):
            mime = "video/webm"
        else:
            mime = "image/webp"
        extra = {"emoji": sticker.get("emoji", ""), "set_name": sticker.get("set_name", "")}
        return Kind.STICKER, str(sticker.get("emoji") or ""), _media(sticker, mime), extra
    if "venue" in message:
        venue = message["venue"]
        location = venue.get("location", {})
        extra = {
            "latitude": location.get("latitude"),
            "longitude": location.get("longitude"),
            "title": venue.get("title", ""),
            "address": venue.get("address", ""),
        }
        return Kind.LOCATION, str(venue.get("title") or ""), None, extra
    if "location" in message:
        location = message["location"]
        extra = {"latitude": location.get("latitude"), "longitude": location.get("longitude")}
        return Kind.LOCATION, "", None, extra
    if "contact" in message:
        card = message["contact"]
        extra = {
            key: card[key]
            for key in ("phone_number", "first_name", "last_name", "user_id", "vcard")
            if key in card
        }
        return Kind.CONTACT_CARD, _name(card), None, extra
    shown_as = next((key for key in UNSUPPORTED_CONTENT if key in message), "")
    return Kind.UNSUPPORTED, caption, None, {"unsupported_type": shown_as}


def update_items(update: dict[str, Any]) -> list[InboundItem]:
    """The items of one update: a message or an edit of one, or nothing."""
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise ValueError("not a Telegram update")
    if isinstance(update.get("callback_query"), dict):
        return _callback_query(update)
    kind = next((key for key in MESSAGE_UPDATES if key in update), None)
    if kind is None:
        return []
    message = update[kind]
    if not isinstance(message, dict):
        return [malformed_item("not_an_object", update)]
    chat = message.get("chat") or {}
    if not isinstance(chat, dict) or "id" not in chat:
        return [malformed_item("message_without_chat", update)]
    if chat.get("type") != PRIVATE:
        return []
    if "message_id" not in message:
        return [malformed_item("message_without_id", update)]
    sender = message.get("from") or chat
    content_kind, body, media, extra = _content(message)
    card = message.get("contact") or {}
    # A contact card of the sender themself is their own phone number.
    own_phone = card.get("phone_number", "") if card.get("user_id") == sender.get("id") else ""
    reply = message.get("reply_to_message") or {}
    edited = kind == "edited_message"
    return [
        InboundMessage(
            event_id=str(update["update_id"]),
            external_id=str(chat["id"]),
            provider_message_id=message_key(chat["id"], message["message_id"]),
            kind=content_kind,
            body=body,
            contact_name=_name(sender),
            contact_phone=str(own_phone),
            media=media,
            quoted_provider_message_id=message_key(chat["id"], reply["message_id"])
            if "message_id" in reply
            else "",
            sent_at=_at(message.get("edit_date") if edited else message.get("date")),
            is_edit=edited,
            extra=extra,
            raw=update,
        )
    ]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _button_text(message: dict[str, Any], data: str) -> str:
    """The text of the inline keyboard button of ``message`` that carries ``data``."""
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                return str(button.get("text") or "")
    return ""


def _callback_query(update: dict[str, Any]) -> list[InboundItem]:
    """A tap on an inline keyboard button: the customer's answer, as a text message with the
    button's text (its ``data`` when the button is no longer known) and the data in ``extra``
    for the bot; ``callback_query_id`` is answered when the item is processed (the customer's
    button spins until then). https://core.telegram.org/bots/api#callbackquery
    """
    query = update["callback_query"]
    query_id = str(query.get("id") or "")
    sender = _dict(query.get("from"))
    message = _dict(query.get("message"))
    # An old message comes as an InaccessibleMessage (chat, message_id, date 0); in a private
    # chat the chat id is the user's id. Inline-mode messages name no chat: not ours.
    chat = _dict(message.get("chat"))
    if not chat and "id" in sender and not query.get("inline_message_id"):
        chat = {"id": sender["id"], "type": PRIVATE}
    if not query_id or chat.get("type") != PRIVATE or "id" not in chat:
        return []
    data = str(query.get("data") or query.get("game_short_name") or "")
    return [
        InboundMessage(
            event_id=str(update["update_id"]),
            external_id=str(chat["id"]),
            provider_message_id=f"callback:{query_id}",
            kind=Kind.TEXT,
            body=_button_text(message, data) or data,
            contact_name=_name(sender),
            quoted_provider_message_id=message_key(chat["id"], message["message_id"])
            if "message_id" in message
            else "",
            extra={"callback_query_id": query_id, "callback_data": data},
        )
    ]
