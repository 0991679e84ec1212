"""Messenger and Instagram webhook bodies → neutral inbound items. Pure: no database, no network.

Both products send ``{"object": "page" | "instagram", "entry": [{"id", "time", "messaging":
[event, ...]}]}`` where each event has ``sender``, ``recipient``, ``timestamp`` (milliseconds) and
one of ``message``, ``message_edit``, ``reaction``, ``delivery``, ``read``, ``postback``.

Messenger events: https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
Instagram events: https://developers.facebook.com/documentation/business-messaging/instagram-messaging/webhooks
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import unquote, urlsplit

from channels_integrations.providers.base import (
    InboundItem,
    InboundMedia,
    InboundMessage,
    InboundStatus,
    malformed_item,
)
from channels_integrations.providers.meta.timestamps import from_millis
from tickets.models import Message

Kind = Message.Kind
_MEDIA_KINDS = {
    "image": Kind.IMAGE,
    "video": Kind.VIDEO,
    "audio": Kind.AUDIO,
    "file": Kind.DOCUMENT,
}
# Instagram may name the reaction without its emoji.
_REACTION_EMOJIS = {
    "love": "\u2764\ufe0f",
    "like": "\U0001f44d",
    "dislike": "\U0001f44e",
    "laugh": "\U0001f606",
    "smile": "\U0001f606",
    "wow": "\U0001f62e",
    "sad": "\U0001f622",
    "angry": "\U0001f620",
}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_messaging_payload(payload: bytes, *, object_type: str) -> list[InboundItem]:
    """Every customer message, edit, deletion, reaction and receipt of one webhook body.

    Echoes (``message.is_echo``: a message the account itself sent, from our API or another
    tool such as the Page inbox or the Instagram app) become ``is_echo`` items addressed to the
    recipient, never customer messages; other events sent by the account are dropped.
    ``standby`` events (another app of the page is in control of the thread)
    are not read either. Bodies of another object type give an empty list.
    """
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(data, dict) or data.get("object") != object_type:
        return []
    items: list[InboundItem] = []
    for entry in map(_dict, _list(data.get("entry"))):
        account_id = str(entry.get("id") or "")
        for event in _list(entry.get("messaging")):
            try:
                items.extend(_event(_readable(event), account_id))
            except _Unreadable as exc:
                # Quarantined as a body of its own, which this function reads again on replay.
                envelope = {key: value for key, value in entry.items() if key != "messaging"}
                raw = {"object": object_type, "entry": [{**envelope, "messaging": [event]}]}
                items.append(malformed_item(exc.reason, raw))
    return items


class _Unreadable(Exception):
    """An event that cannot be read (a reason of ``MALFORMED_REASONS``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _readable(event: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise _Unreadable("not_an_object")
    return event


def _event(event: dict[str, Any], account_id: str) -> list[InboundItem]:
    sender = str(_dict(event.get("sender")).get("id") or "")
    timestamp = event.get("timestamp")
    message = _dict(event.get("message"))
    if message.get("is_echo") or (sender and sender == account_id):
        return _echo(message, str(_dict(event.get("recipient")).get("id") or ""), timestamp)
    if not sender:
        if "message" in event:
            raise _Unreadable("message_without_sender")
        return []
    if "message" in event:
        return _message(_dict(event["message"]), sender, timestamp)
    if "message_edit" in event:
        return _edit(_dict(event["message_edit"]), sender, timestamp)
    if "reaction" in event:
        return _reaction(_dict(event["reaction"]), sender, timestamp)
    if "delivery" in event:
        return _delivery(_dict(event["delivery"]), sender, timestamp)
    if "read" in event:
        return _read(_dict(event["read"]), sender, timestamp)
    if "postback" in event:
        return _postback(_dict(event["postback"]), sender, timestamp)
    return []


def _message(message: dict[str, Any], sender: str, timestamp: Any) -> list[InboundItem]:
    mid = str(message.get("mid") or "")
    if not mid:
        raise _Unreadable("message_without_id")
    sent_at = from_millis(timestamp)
    if message.get("is_deleted"):
        return [
            InboundMessage(
                event_id=f"{mid}:deleted",
                external_id=sender,
                provider_message_id=mid,
                kind=Kind.TEXT,
                sent_at=sent_at,
                is_deletion=True,
            )
        ]
    extra: dict[str, Any] = {}
    quick_reply = _dict(message.get("quick_reply"))
    if quick_reply.get("payload"):
        extra["quick_reply_payload"] = str(quick_reply["payload"])
    reply_to = _dict(message.get("reply_to"))
    if reply_to.get("story"):
        extra["reply_to_story"] = reply_to["story"]
    if message.get("referral"):
        extra["referral"] = message["referral"]
    common: dict[str, Any] = {
        "external_id": sender,
        "quoted_provider_message_id": str(reply_to.get("mid") or ""),
        "sent_at": sent_at,
    }
    text = str(message.get("text") or "")
    if message.get("is_unsupported"):
        return [
            InboundMessage(
                event_id=mid,
                provider_message_id=mid,
                kind=Kind.UNSUPPORTED,
                body=text,
                extra=extra,
                raw=message,
                **common,
            )
        ]
    attachments = [_dict(a) for a in _list(message.get("attachments"))]
    if not attachments:
        return [
            InboundMessage(
                event_id=mid,
                provider_message_id=mid,
                kind=Kind.TEXT,
                body=text,
                extra=extra,
                **common,
            )
        ]
    # One item per attachment (Instagram sends several images in one message); the text, if
    # any, goes with the first. Ids after the first are derived so they stay unique.
    items: list[InboundItem] = []
    for index, attachment in enumerate(attachments):
        item_id = mid if index == 0 else f"{mid}:{index}"
        kind, media, attachment_extra = _attachment(attachment)
        items.append(
            InboundMessage(
                event_id=item_id,
                provider_message_id=item_id,
                kind=kind,
                body=text if index == 0 else "",
                media=media,
                extra={**extra, **attachment_extra},
                raw=attachment if kind == Kind.UNSUPPORTED else {},
                **common,
            )
        )
    return items


def _echo(message: dict[str, Any], recipient: str, timestamp: Any) -> list[InboundItem]:
    """A message the business sent to ``recipient``: the same items as a customer's message,
    marked ``is_echo`` (an echo of our own send is recognised by its id when processed)."""
    if not message.get("is_echo") or not recipient or message.get("is_deleted"):
        return []
    app = {"app_id": str(message["app_id"])} if message.get("app_id") else {}
    return [
        dataclasses.replace(item, is_echo=True, extra={**item.extra, **app})
        for item in _message(message, recipient, timestamp)
        if isinstance(item, InboundMessage)
    ]


def _filename_from_url(url: str) -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name if "." in name else ""


def _attachment(attachment: dict[str, Any]) -> tuple[str, InboundMedia | None, dict[str, Any]]:
    attachment_type = str(attachment.get("type") or "")
    payload = _dict(attachment.get("payload"))
    url = str(payload.get("url") or "")
    if attachment_type in _MEDIA_KINDS and url:
        kind: str = _MEDIA_KINDS[attachment_type]
        extra: dict[str, Any] = {}
        if attachment_type == "image" and payload.get("sticker_id"):
            kind = Kind.STICKER
            extra["sticker_id"] = str(payload["sticker_id"])
        filename = str(payload.get("title") or "") or _filename_from_url(url)
        return kind, InboundMedia(provider_media_id=url, filename=filename), extra
    coordinates = _dict(payload.get("coordinates"))
    if attachment_type == "location" and "lat" in coordinates and "long" in coordinates:
        extra = {"latitude": coordinates["lat"], "longitude": coordinates["long"]}
        if payload.get("title"):
            extra["name"] = str(payload["title"])
        return Kind.LOCATION, None, extra
    # Shares, story mentions, reels, posts, templates and link fallbacks: kept raw; the URL (a
    # link to the post or a CDN file) is surfaced for agents.
    extra = {"attachment_type": attachment_type}
    if url:
        extra["url"] = url
    if payload.get("title"):
        extra["title"] = str(payload["title"])
    return Kind.UNSUPPORTED, None, extra


def _edit(edit: dict[str, Any], sender: str, timestamp: Any) -> list[InboundItem]:
    mid = str(edit.get("mid") or "")
    if not mid:
        return []
    return [
        InboundMessage(
            event_id=f"{mid}:edit:{edit.get('num_edit', timestamp)}",
            external_id=sender,
            provider_message_id=mid,
            kind=Kind.TEXT,
            body=str(edit.get("text") or ""),
            sent_at=from_millis(timestamp),
            is_edit=True,
        )
    ]


def _reaction(reaction: dict[str, Any], sender: str, timestamp: Any) -> list[InboundItem]:
    mid = str(reaction.get("mid") or "")
    if not mid:
        return []
    action = str(reaction.get("action") or "react")
    name = str(reaction.get("reaction") or "")
    emoji = str(reaction.get("emoji") or "") or _REACTION_EMOJIS.get(name, "")
    # A reaction has no id of its own: this one is unique per reacted message, customer and time.
    item_id = f"{mid}:reaction:{sender}:{timestamp}"
    return [
        InboundMessage(
            event_id=item_id,
            external_id=sender,
            provider_message_id=item_id,
            kind=Kind.REACTION,
            body=emoji if action == "react" else "",
            quoted_provider_message_id=mid,
            sent_at=from_millis(timestamp),
            extra={"action": action, "reaction": name, "emoji": emoji},
        )
    ]


def _delivery(delivery: dict[str, Any], sender: str, timestamp: Any) -> list[InboundItem]:
    watermark = delivery.get("watermark")
    at = from_millis(watermark) or from_millis(timestamp)
    # ``mids`` (which "may not be present") names messages just delivered; ``watermark`` says
    # every message sent before it was delivered, so both are applied.
    items: list[InboundItem] = [
        InboundStatus(
            event_id=f"{mid}:delivered",
            provider_message_id=mid,
            status=Message.Status.DELIVERED,
            at=at,
            raw=delivery,
            external_id=sender,
        )
        for mid in (str(mid) for mid in _list(delivery.get("mids")) if mid)
    ]
    if watermark is not None:
        items.append(_watermark(Message.Status.DELIVERED, watermark, sender, at, delivery))
    return items


def _read(read: dict[str, Any], sender: str, timestamp: Any) -> list[InboundItem]:
    mid = str(read.get("mid") or "")
    if mid:
        # Instagram's messaging_seen names the message read.
        return [
            InboundStatus(
                event_id=f"{mid}:read",
                provider_message_id=mid,
                status=Message.Status.READ,
                at=from_millis(timestamp),
                raw=read,
                external_id=sender,
            )
        ]
    watermark = read.get("watermark")
    if watermark is None:
        return []
    at = from_millis(watermark) or from_millis(timestamp)
    return [_watermark(Message.Status.READ, watermark, sender, at, read)]


def _watermark(
    status: str, watermark: Any, sender: str, at: Any, raw: dict[str, Any]
) -> InboundStatus:
    """A receipt for every message sent to ``sender`` at or before ``at`` (no message id)."""
    return InboundStatus(
        event_id=f"{status}:{sender}:{watermark}",
        provider_message_id="",
        status=status,
        at=at,
        raw=raw,
        external_id=sender,
    )


def _postback(postback: dict[str, Any], sender: str, timestamp: Any) -> list[InboundItem]:
    # A tap on a button we sent (or an ice breaker): the customer "said" the button's title.
    item_id = str(postback.get("mid") or "") or f"postback:{sender}:{timestamp}"
    return [
        InboundMessage(
            event_id=item_id,
            external_id=sender,
            provider_message_id=item_id,
            kind=Kind.TEXT,
            body=str(postback.get("title") or ""),
            sent_at=from_millis(timestamp),
            extra={"postback_payload": str(postback.get("payload") or "")},
        )
    ]
