"""Evolution API v2 webhook bodies → neutral items.

Every body is ``{event, instance, data, destination, date_time, sender, server_url, apikey}``
(https://doc.evolution-api.com/v2/en/configuration/webhooks). The events read here:

- ``qrcode.updated``: ``data.qrcode = {instance, pairingCode, code, base64}``, a new QR code
  while the session is connecting;
- ``connection.update``: ``data = {instance, wuid, profileName, state, statusReason}``
  (``state`` connecting, open or close; Baileys' reasons: 401 logged out, 440 replaced);
- ``messages.upsert`` and ``send.message``: ``data`` is a Baileys ``WebMessageInfo``
  (``key: {remoteJid, fromMe, id, participant}``, ``pushName``, ``message``,
  ``messageType``, ``messageTimestamp``); ``fromMe`` is a message of the business (typed on
  the phone, or ours);
- ``messages.update``: ``data = {keyId, remoteJid, fromMe, status}``, a delivery tick
  (SERVER_ACK, DELIVERY_ACK, READ, PLAYED, ERROR);
- ``messages.delete``: ``data`` is the deleted message's key.

A group's messages (``remoteJid`` ending ``@g.us``, the sender in ``key.participant``) are
group items: the group's jid is the contact's id, and the sender's name and number ride along
on each message (``extra["group_sender"]``). Status broadcasts and channels are not read.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from channels_integrations.providers.base import (
    SESSION_CLOSED,
    SESSION_CONNECTING,
    SESSION_OPEN,
    InboundItem,
    InboundMedia,
    InboundMessage,
    InboundSession,
    InboundStatus,
    malformed_item,
)
from tickets.models import Message

Kind = Message.Kind

# Baileys' message ack levels, as Evolution names them → our statuses.
ACK_STATUSES = {
    "SERVER_ACK": Message.Status.SENT,
    "DELIVERY_ACK": Message.Status.DELIVERED,
    "READ": Message.Status.READ,
    "PLAYED": Message.Status.READ,  # a voice note listened to: read, with the tick kept
    "ERROR": Message.Status.FAILED,
}
# Baileys' DisconnectReason codes that say why a session closed.
CLOSE_REASONS = {401: "logged_out", 440: "replaced", 403: "forbidden"}
_STATES = {"open": SESSION_OPEN, "connecting": SESSION_CONNECTING, "close": SESSION_CLOSED}
_MEDIA_KINDS = {
    "imageMessage": Kind.IMAGE,
    "videoMessage": Kind.VIDEO,
    "audioMessage": Kind.AUDIO,
    "documentMessage": Kind.DOCUMENT,
    "stickerMessage": Kind.STICKER,
}
_PNG_DATA_URL = re.compile(r"^data:image/png;base64,[A-Za-z0-9+/=]+$")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _at(seconds: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(seconds), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _number(jid: str) -> str:
    """``5511999990000`` of ``5511999990000@s.whatsapp.net`` (a device suffix ``:12`` dropped)."""
    return jid.split("@", 1)[0].split(":", 1)[0]


def is_group_jid(jid: str) -> bool:
    return jid.endswith("@g.us")


def chat_id(jid: str) -> str:
    """Our id of a chat: a person's number, or a group's whole jid (``1203...@g.us``), which
    never looks like a number and is what the gateway takes to send to the group."""
    return jid if is_group_jid(jid) else _number(jid)


def body_items(body: dict[str, Any]) -> list[InboundItem]:
    """The items of one webhook body (none for events we do not read)."""
    event = str(body.get("event") or "").lower().replace("_", ".")
    data = body.get("data")
    if event == "qrcode.updated":
        return _qr_items(_dict(data))
    if event == "connection.update":
        return _connection_items(_dict(data), body)
    if event in ("messages.upsert", "send.message"):
        return _message_items(data, body)
    if event == "messages.update":
        return _status_items(data)
    if event == "messages.delete":
        return _delete_items(_dict(data))
    return []


def _qr_items(data: dict[str, Any]) -> list[InboundItem]:
    qrcode = _dict(data.get("qrcode"))
    image = str(qrcode.get("base64") or "")
    if not _PNG_DATA_URL.match(image):
        return []  # nothing we would show (an image of another kind is never rendered)
    digest = hashlib.sha256(str(qrcode.get("code") or image).encode()).hexdigest()[:40]
    return [
        InboundSession(
            event_id=f"qr:{digest}",
            qr_image=image,
            qr_count=int(qrcode.get("count") or 0) if str(qrcode.get("count", "")).isdigit() else 0,
            pairing_code=str(qrcode.get("pairingCode") or ""),
            at=datetime.now(UTC),
        )
    ]


def _connection_items(data: dict[str, Any], body: dict[str, Any]) -> list[InboundItem]:
    state = _STATES.get(str(data.get("state") or ""))
    if state is None:
        return []
    reason_code = data.get("statusReason")
    reason = ""
    if state == SESSION_CLOSED:
        reason = CLOSE_REASONS.get(reason_code, "lost") if isinstance(reason_code, int) else "lost"
    stamp = str(body.get("date_time") or "")
    wuid = str(data.get("wuid") or "")
    key = f"{state}:{reason_code}:{wuid}:{stamp}"
    return [
        InboundSession(
            event_id="conn:" + hashlib.sha256(key.encode()).hexdigest()[:40],
            state=state,
            number=_number(wuid) if wuid else "",
            profile_name=str(data.get("profileName") or ""),
            reason=reason,
            at=datetime.now(UTC),
        )
    ]


def _status_items(data: Any) -> list[InboundItem]:
    items: list[InboundItem] = []
    for update in data if isinstance(data, list) else [data]:
        update = _dict(update)
        status = ACK_STATUSES.get(str(update.get("status") or "").upper())
        message_id = str(update.get("keyId") or update.get("id") or "")
        remote = str(update.get("remoteJid") or "")
        if status is None or not update.get("fromMe", True):
            continue
        if not message_id:
            items.append(
                malformed_item("status_without_id", {"event": "messages.update", "data": update})
            )
            continue
        raw_status = str(update.get("status")).upper()
        items.append(
            InboundStatus(
                event_id=f"status:{message_id}:{raw_status}",
                provider_message_id=message_id,
                status=status,
                external_id=chat_id(remote),
                at=_at(update.get("timestamp")) or datetime.now(UTC),
            )
        )
    return items


def _delete_items(data: dict[str, Any]) -> list[InboundItem]:
    key = _dict(data.get("key")) or data
    message_id = str(key.get("id") or "")
    remote = str(key.get("remoteJid") or "")
    if not message_id or not remote or key.get("fromMe"):
        return []
    return [
        InboundMessage(
            event_id=f"delete:{message_id}",
            external_id=chat_id(remote),
            provider_message_id=message_id,
            kind=Kind.TEXT,
            is_deletion=True,
            is_group=is_group_jid(remote),
            sent_at=datetime.now(UTC),
        )
    ]


def _phone_jid(key: dict[str, Any], field: str, alternatives: tuple[str, ...]) -> str:
    """``key[field]``, in its phone-number form when WhatsApp hides it behind a ``@lid``."""
    jid = str(key.get(field) or "")
    if jid.endswith("@lid"):
        for alternative in alternatives:
            value = str(key.get(alternative) or "")
            if value.endswith("@s.whatsapp.net"):
                return value
    return jid


def _customer_jid(key: dict[str, Any]) -> str:
    """The chat's jid: the customer's (phone-number form) or the group's."""
    return _phone_jid(key, "remoteJid", ("remoteJidAlt", "senderPn"))


def _participant_jid(key: dict[str, Any]) -> str:
    """Who wrote a group message (phone-number form when known)."""
    return _phone_jid(key, "participant", ("participantAlt", "participantPn"))


def _message_items(data: Any, body: dict[str, Any]) -> list[InboundItem]:
    items: list[InboundItem] = []
    for info in data if isinstance(data, list) else [data]:
        if not isinstance(info, dict):
            items.append(malformed_item("not_an_object", {**body, "data": info}))
            continue
        key = _dict(info.get("key"))
        jid = _customer_jid(key)
        if jid.endswith(("@broadcast", "@newsletter")):
            continue
        if not key.get("id"):
            items.append(malformed_item("message_without_id", {**body, "data": info}))
            continue
        if not jid:
            items.append(malformed_item("message_without_sender", {**body, "data": info}))
            continue
        try:
            item = _message(info, key, jid)
        except (TypeError, ValueError, AttributeError):
            item = malformed_item("unreadable_content", {**body, "data": info})
        if item is not None:
            items.append(item)
    return items


def _context(content: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    return _dict(content.get("contextInfo")) or _dict(info.get("contextInfo"))


def _vcard_card(display_name: str, vcard: str) -> dict[str, Any]:
    """A shared contact in the card shape the panel shows (a name and its phones)."""
    phones = []
    for line in vcard.splitlines():
        if line.upper().startswith("TEL") and ":" in line:
            phone = {"phone": line.split(":", 1)[1].strip()}
            waid = re.search(r"waid=(\d+)", line)
            if waid:
                phone["wa_id"] = waid.group(1)
            phones.append(phone)
    return {"name": {"formatted_name": display_name}, "phones": phones}


def _message(info: dict[str, Any], key: dict[str, Any], jid: str) -> InboundItem | None:
    message_id = str(key["id"])
    message = _dict(info.get("message"))
    from_me = bool(key.get("fromMe"))
    group = is_group_jid(jid)
    push_name = str(info.get("pushName") or "")
    common: dict[str, Any] = {
        "event_id": f"msg:{message_id}",
        "external_id": chat_id(jid),
        "provider_message_id": message_id,
        # A group is named by its subject (the provider's contact_profile), not its senders.
        "contact_name": "" if from_me or group else push_name,
        "contact_phone": ""
        if from_me or not jid.endswith("@s.whatsapp.net")
        else "+" + _number(jid),
        "sent_at": _at(info.get("messageTimestamp")),
        "is_echo": from_me,
        "is_group": group,
        "raw": info,
    }
    # Wrappers WhatsApp puts around a message (view-once, a document with a caption, an edit).
    for wrapper in (
        "ephemeralMessage",
        "viewOnceMessage",
        "viewOnceMessageV2",
        "documentWithCaptionMessage",
    ):
        inner = _dict(_dict(message.get(wrapper)).get("message"))
        if inner:
            message = inner
    protocol = _dict(message.get("protocolMessage"))
    if protocol:
        target = str(_dict(protocol.get("key")).get("id") or "")
        edited = _dict(protocol.get("editedMessage"))
        if edited and target and not from_me:
            text = str(
                edited.get("conversation")
                or _dict(edited.get("extendedTextMessage")).get("text")
                or ""
            )
            return InboundMessage(
                **{**common, "event_id": f"edit:{message_id}", "provider_message_id": target},
                kind=Kind.TEXT,
                body=text,
                is_edit=True,
            )
        if str(protocol.get("type")) in ("REVOKE", "0") and target and not from_me:
            return InboundMessage(
                **{**common, "event_id": f"delete:{target}", "provider_message_id": target},
                kind=Kind.TEXT,
                is_deletion=True,
            )
        return None  # history sync, key shares and other protocol traffic
    extra: dict[str, Any] = {}
    if group and not from_me:
        participant = _participant_jid(key)
        number = _number(participant) if participant.endswith("@s.whatsapp.net") else ""
        extra["group_sender"] = {"name": push_name, "number": number}
    quoted = ""
    kind: str = Kind.UNSUPPORTED
    body = ""
    media = None
    if "conversation" in message:
        kind, body = Kind.TEXT, str(message["conversation"] or "")
    elif "extendedTextMessage" in message:
        content = _dict(message["extendedTextMessage"])
        kind, body = Kind.TEXT, str(content.get("text") or "")
        quoted = str(_context(content, info).get("stanzaId") or "")
    elif media_type := next((name for name in _MEDIA_KINDS if name in message), ""):
        content = _dict(message[media_type])
        kind = _MEDIA_KINDS[media_type]
        body = str(content.get("caption") or "")
        quoted = str(_context(content, info).get("stanzaId") or "")
        length = str(content.get("fileLength") or "")
        media = InboundMedia(
            provider_media_id=message_id,
            mime_type=str(content.get("mimetype") or ""),
            filename=str(content.get("fileName") or ""),
            size=int(length) if length.isdigit() else None,
        )
        if kind == Kind.AUDIO:
            extra["voice"] = bool(content.get("ptt"))
        if kind == Kind.STICKER:
            extra["animated"] = bool(content.get("isAnimated"))
    elif "locationMessage" in message or "liveLocationMessage" in message:
        content = _dict(message.get("locationMessage") or message.get("liveLocationMessage"))
        kind = Kind.LOCATION
        location = {
            "latitude": content.get("degreesLatitude"),
            "longitude": content.get("degreesLongitude"),
            "name": content.get("name"),
            "address": content.get("address"),
        }
        extra.update({k: v for k, v in location.items() if v not in (None, "")})
        body = " - ".join(str(extra[k]) for k in ("name", "address") if k in extra)
    elif "contactMessage" in message or "contactsArrayMessage" in message:
        kind = Kind.CONTACT_CARD
        cards = (
            [_dict(message["contactMessage"])]
            if "contactMessage" in message
            else [_dict(c) for c in _dict(message["contactsArrayMessage"]).get("contacts") or []]
        )
        extra["contacts"] = [
            _vcard_card(str(card.get("displayName") or ""), str(card.get("vcard") or ""))
            for card in cards
        ]
        body = ", ".join(
            str(card.get("displayName") or "") for card in cards if card.get("displayName")
        )
    elif "reactionMessage" in message:
        content = _dict(message["reactionMessage"])
        kind = Kind.REACTION
        body = str(content.get("text") or "")
        extra["action"] = "react" if body else "unreact"
        extra["emoji"] = body
        quoted = str(_dict(content.get("key")).get("id") or "")
    else:
        extra["unsupported_type"] = str(info.get("messageType") or next(iter(message), ""))
    return InboundMessage(
        **common, kind=kind, body=body, media=media, extra=extra, quoted_provider_message_id=quoted
    )
