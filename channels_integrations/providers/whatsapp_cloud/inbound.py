"""WhatsApp Cloud API webhook bodies → neutral inbound items. Pure: no database, no network.

Payloads: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
Statuses: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from channels_integrations.providers.base import (
    InboundAccountError,
    InboundItem,
    InboundMedia,
    InboundMessage,
    InboundStatus,
    InboundTemplateStatus,
    malformed_item,
)
from channels_integrations.providers.meta.errors import (
    CODE_WHATSAPP_WINDOW_CLOSED,
    WHATSAPP_ACCOUNT_CODES,
    WHATSAPP_WINDOW_CLOSED,
    whatsapp_error_number,
)
from channels_integrations.providers.meta.timestamps import from_seconds
from channels_integrations.providers.meta.webhooks import WHATSAPP_OBJECT
from tickets.models import Message

logger = logging.getLogger(__name__)

Kind = Message.Kind
_MEDIA_KINDS = {
    "image": Kind.IMAGE,
    "audio": Kind.AUDIO,
    "video": Kind.VIDEO,
    "document": Kind.DOCUMENT,
    "sticker": Kind.STICKER,
}
# "played" is sent the first time a customer plays one of our voice messages: it implies read.
_STATUSES = {
    "sent": Message.Status.SENT,
    "delivered": Message.Status.DELIVERED,
    "read": Message.Status.READ,
    "played": Message.Status.READ,
    "failed": Message.Status.FAILED,
}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def status_error_code(code: Any) -> str:
    """Our code for a WhatsApp error number in a failed status."""
    if str(code) == str(WHATSAPP_WINDOW_CLOSED):
        return CODE_WHATSAPP_WINDOW_CLOSED
    return f"meta_{code}" if code not in (None, "") else ""


def parse_payload(payload: bytes) -> list[InboundItem]:
    """Every customer message and delivery status of one webhook body, in payload order.

    Bodies that are not WhatsApp ``messages`` webhooks give an empty list (the endpoint still
    acknowledges them so Meta stops retrying).
    """
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(data, dict) or data.get("object") != WHATSAPP_OBJECT:
        return []
    items: list[InboundItem] = []
    for entry in _list(data.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            if change.get("field") == "message_template_status_update":
                items.extend(_template_status(_dict(entry), _dict(change.get("value"))))
                continue
            if change.get("field") != "messages":
                continue
            value = _dict(change.get("value"))
            contacts = [_dict(contact) for contact in _list(value.get("contacts"))]
            for item in _list(value.get("messages")):
                try:
                    items.append(_message(_readable(item), contacts))
                except _Unreadable as exc:
                    items.append(_quarantined(exc.reason, entry, value, "messages", item))
            for item in _list(value.get("statuses")):
                try:
                    items.extend(_status(_readable(item)))
                except _Unreadable as exc:
                    items.append(_quarantined(exc.reason, entry, value, "statuses", item))
            for error in map(_dict, _list(value.get("errors"))):
                # Errors not tied to any message (throttling, payment, app problems): shown on
                # the connection.
                logger.warning(
                    "WhatsApp webhook error %s: %s", error.get("code"), error.get("title")
                )
                items.append(_account_error(error))
    return items


def _template_status(entry: dict[str, Any], value: dict[str, Any]) -> list[InboundItem]:
    """A template review or change of the business account (``message_template_status_update``:
    ``event`` is the new status, ``reason`` why it was rejected)."""
    template_id = str(value.get("message_template_id") or "")
    status = str(value.get("event") or "").upper()
    if not template_id or not status:
        return []
    at = from_seconds(entry.get("time"))
    reason = str(value.get("reason") or "")
    return [
        InboundTemplateStatus(
            event_id=f"template:{template_id}:{status}:{entry.get('time') or ''}",
            template_id=template_id,
            name=str(value.get("message_template_name") or ""),
            language=str(value.get("message_template_language") or ""),
            status=status,
            reason="" if reason.upper() == "NONE" else reason,
            at=at,
            raw={"entry_id": str(entry.get("id") or ""), "value": value},
        )
    ]


class _Unreadable(Exception):
    """A message or status that cannot be read (a reason of ``MALFORMED_REASONS``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _readable(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _Unreadable("not_an_object")
    return item


def _quarantined(
    reason: str, entry: Any, value: dict[str, Any], key: str, item: Any
) -> InboundItem:
    """The unreadable ``item`` of ``value[key]`` as a body of its own (same entry, metadata
    and contacts), which ``parse_payload`` reads again when it is replayed."""
    part = {k: v for k, v in value.items() if k not in ("messages", "statuses", "errors")}
    raw = {
        "object": WHATSAPP_OBJECT,
        "entry": [
            {
                "id": _dict(entry).get("id"),
                "changes": [{"field": "messages", "value": {**part, key: [item]}}],
            }
        ],
    }
    return malformed_item(reason, raw)


def _error_detail(error: dict[str, Any]) -> str:
    detail_parts = [
        str(error.get("title") or error.get("message") or ""),
        str(_dict(error.get("error_data")).get("details") or ""),
    ]
    return ": ".join(part for part in detail_parts if part)[:500]


def _account_error(error: dict[str, Any], *, event_id: str = "", at: Any = None) -> InboundItem:
    """An error about the number or account. It has no id of its own: one reported on a
    status takes the status's; one on the webhook's value is named by its content and the
    minute it arrived (a redelivery within the minute is dropped; processing it twice sets the
    same connection error anyway)."""
    if not event_id:
        digest = hashlib.sha256(json.dumps(error, sort_keys=True).encode()).hexdigest()[:24]
        event_id = f"error:{error.get('code')}:{digest}:{int(time.time()) // 60}"
    return InboundAccountError(
        event_id=event_id,
        error_code=status_error_code(error.get("code")),
        error_detail=_error_detail(error),
        at=from_seconds(at),
        raw=error,
    )


def _sender(
    item: dict[str, Any], contacts: list[dict[str, Any]]
) -> tuple[str, str, dict[str, Any]]:
    """``(phone number digits, business-scoped user id, contact)`` of a message's sender.

    Since 2026 a customer with a WhatsApp username may write without revealing a phone number:
    ``from``/``wa_id`` are then absent and ``from_user_id``/``user_id`` (the BSUID) identify them.
    https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
    """
    wa_id = str(item.get("from") or "")
    user_id = str(item.get("from_user_id") or "")
    contact = next(
        (
            c
            for c in contacts
            if (wa_id and str(c.get("wa_id") or "") == wa_id)
            or (user_id and str(c.get("user_id") or "") == user_id)
        ),
        contacts[0] if len(contacts) == 1 else {},
    )
    return wa_id, user_id or str(contact.get("user_id") or ""), contact


def _message(item: dict[str, Any], contacts: list[dict[str, Any]]) -> InboundMessage:
    wamid = str(item.get("id") or "")
    wa_id, user_id, contact = _sender(item, contacts)
    if not wamid:
        raise _Unreadable("message_without_id")
    if not (wa_id or user_id):
        raise _Unreadable("message_without_sender")
    profile = _dict(contact.get("profile"))
    message_type = str(item.get("type") or "")
    content = item.get(message_type)
    context = _dict(item.get("context"))
    extra: dict[str, Any] = {}
    if context.get("forwarded") or context.get("frequently_forwarded"):
        extra["forwarded"] = True
    if item.get("referral"):
        extra["referral"] = item["referral"]
    if user_id:
        extra["user_id"] = user_id
    if profile.get("username"):
        extra["username"] = str(profile["username"])
    common: dict[str, Any] = {
        "event_id": wamid,
        "external_id": wa_id or user_id,
        "provider_message_id": wamid,
        "contact_name": str(profile.get("name") or ""),
        "contact_phone": f"+{wa_id}" if wa_id.isdigit() else "",
        "quoted_provider_message_id": str(context.get("id") or ""),
        "sent_at": from_seconds(item.get("timestamp")),
    }
    body = ""
    kind: str = Kind.UNSUPPORTED
    media = None
    content_dict = _dict(content)

    if message_type == "text":
        kind, body = Kind.TEXT, str(content_dict.get("body") or "")
    elif message_type in _MEDIA_KINDS and content_dict.get("id"):
        kind = _MEDIA_KINDS[message_type]
        body = str(content_dict.get("caption") or "")
        media = InboundMedia(
            provider_media_id=str(content_dict["id"]),
            mime_type=str(content_dict.get("mime_type") or ""),
            filename=str(content_dict.get("filename") or ""),
        )
        if message_type == "audio":
            extra["voice"] = bool(content_dict.get("voice"))
        if message_type == "sticker":
            extra["animated"] = bool(content_dict.get("animated"))
    elif message_type == "location":
        kind = Kind.LOCATION
        location = {
            key: content_dict[key]
            for key in ("latitude", "longitude", "name", "address", "url")
            if content_dict.get(key) not in (None, "")
        }
        extra.update(location)
        body = " - ".join(str(location[k]) for k in ("name", "address") if k in location)
    elif message_type == "contacts" and isinstance(content, list):
        kind = Kind.CONTACT_CARD
        extra["contacts"] = content
        body = ", ".join(
            str(_dict(card.get("name")).get("formatted_name") or "")
            for card in map(_dict, content)
            if _dict(card.get("name")).get("formatted_name")
        )
    elif message_type == "reaction":
        kind = Kind.REACTION
        body = str(content_dict.get("emoji") or "")
        # An empty emoji is the customer removing their reaction.
        extra["action"] = "react" if body else "unreact"
        extra["emoji"] = body
        common["quoted_provider_message_id"] = str(content_dict.get("message_id") or "")
    elif message_type == "interactive":
        reply_type = str(content_dict.get("type") or "")
        reply = _dict(content_dict.get(reply_type))
        if reply_type in ("button_reply", "list_reply") and reply.get("id"):
            kind, body = Kind.TEXT, str(reply.get("title") or "")
            extra.update(interactive_type=reply_type, reply_id=str(reply["id"]))
            if reply.get("description"):
                extra["reply_description"] = str(reply["description"])
    elif message_type == "button":
        # A quick-reply button of a template message.
        kind, body = Kind.TEXT, str(content_dict.get("text") or "")
        extra["button_payload"] = str(content_dict.get("payload") or "")

    raw = item if kind == Kind.UNSUPPORTED else {}
    if kind == Kind.UNSUPPORTED:  # what it was, for the placeholder agents see
        extra["unsupported_type"] = str(content_dict.get("type") or message_type or "")
    return InboundMessage(kind=kind, body=body, media=media, extra=extra, raw=raw, **common)


def _status(item: dict[str, Any]) -> list[InboundItem]:
    """A status, and for a failure whose error is about the account (a throughput limit, a
    payment problem) that error too."""
    wamid = str(item.get("id") or "")
    raw_status = str(item.get("status") or "")
    status = _STATUSES.get(raw_status)
    if not wamid:
        raise _Unreadable("status_without_id")
    if status is None:  # a status we do not track (e.g. "deleted"): nothing to show
        return []
    error = _dict(next(iter(_list(item.get("errors"))), None))
    error_code = status_error_code(error.get("code")) if error else ""
    items: list[InboundItem] = [
        InboundStatus(
            event_id=f"{wamid}:{raw_status}",
            provider_message_id=wamid,
            status=status,
            error_code=error_code,
            error_detail=_error_detail(error),
            at=from_seconds(item.get("timestamp")),
            raw=item,
            external_id=str(item.get("recipient_id") or item.get("recipient_user_id") or ""),
        )
    ]
    number = whatsapp_error_number(error_code)
    if status == Message.Status.FAILED and number in WHATSAPP_ACCOUNT_CODES:
        account_event = f"{wamid}:{raw_status}:account"
        items.append(_account_error(error, event_id=account_event, at=item.get("timestamp")))
    return items
