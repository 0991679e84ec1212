"""What a message shows besides its own text and file: the one place that turns every stored
kind into words an agent (ticket panel) or a visitor (web chat widget) can read.

A message of any kind gets a ``summary`` that is never empty: a location without a name, a
story mention, a removed reaction, a file still downloading, a kind the channel sent that we do
not handle all say what they were. Strings are translated at call time (the request's language
in a page, the default language elsewhere). Pure: reads the row, no queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.media import MEDIA_LOADING
from tickets.models import Message

Kind = Message.Kind

MEDIA_READY = "ready"
MEDIA_PENDING = "loading"
MEDIA_UNAVAILABLE = "unavailable"
_MEDIA_KINDS = {Kind.IMAGE, Kind.AUDIO, Kind.VIDEO, Kind.DOCUMENT, Kind.STICKER}
# OpenStreetMap's own page for a point: a plain link, no map tiles are loaded by us.
OSM_URL = "https://www.openstreetmap.org/"
OSM_ZOOM = 16


@dataclass(frozen=True)
class MessageDisplay:
    """How to show a message: ``label`` replaces the text of a message that has none of its
    own, ``details`` are extra lines (an address, phone numbers, the provider's reason),
    ``link_url``/``link_text`` an outside link (a map, the story), ``media_state`` one of
    ``ready``/``loading``/``unavailable`` (or "" without a file) with its ``media_note``;
    ``summary`` is one non-empty line for lists and the widget."""

    summary: str
    label: str = ""
    details: tuple[str, ...] = ()
    link_url: str = ""
    link_text: str = ""
    media_state: str = ""
    media_note: str = ""


def map_url(latitude: Any, longitude: Any) -> str:
    """An https link to OpenStreetMap centred on the coordinates; "" for missing or impossible
    ones (the link is built from numbers only, never from the provider's text)."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return ""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return ""
    query = urlencode({"mlat": f"{lat:.6f}", "mlon": f"{lon:.6f}"})
    return f"{OSM_URL}?{query}#map={OSM_ZOOM}/{lat:.6f}/{lon:.6f}"


def _https(value: Any) -> str:
    url = str(value or "")
    return url if url.startswith("https://") else ""


def _media(message: Message) -> tuple[str, str]:
    if message.media:
        return MEDIA_READY, ""
    code = message.media_error
    if not code:
        return "", ""
    if code == MEDIA_LOADING:
        return MEDIA_PENDING, _("Loading media…")
    error = (message.payload or {}).get("media_error") or {}
    error = error if isinstance(error, dict) else {}
    if code == "media_too_large":
        max_bytes = error.get("max_bytes")
        reason = (
            _("the file is larger than %(limit)s MB") % {"limit": round(max_bytes / (1024 * 1024))}
            if isinstance(max_bytes, int)
            else _("the file is too large")
        )
    elif code == "media_type_not_allowed":
        reason = _("files of type %(mime)s are not accepted") % {
            "mime": error.get("mime") or message.media_mime or "?"
        }
    else:
        reason = str(error.get("reason") or "") or _("the channel did not hand the file over")
    return MEDIA_UNAVAILABLE, _("Media unavailable: %(reason)s") % {"reason": reason}


def _location(message: Message, payload: dict[str, Any]) -> MessageDisplay:
    lines = [
        str(payload[key])
        for key in ("name", "title", "address")
        if payload.get(key) and str(payload[key]) not in message.body
    ]
    url = map_url(payload.get("latitude"), payload.get("longitude"))
    if not url and _https(payload.get("url")):
        url = _https(payload.get("url"))
    return MessageDisplay(
        summary=message.body or " - ".join(lines) or _("Location"),
        label="" if message.body else "📍 " + _("Location"),
        details=tuple(lines),
        link_url=url,
        link_text=_("Open the map (OpenStreetMap)") if url else "",
    )


def _contact_card(message: Message, payload: dict[str, Any]) -> MessageDisplay:
    lines: list[str] = []
    if payload.get("phone_number"):  # Telegram: one card
        lines.append(str(payload["phone_number"]))
    for card in payload.get("contacts") or []:  # WhatsApp: a list of vCard-like cards
        if not isinstance(card, dict):
            continue
        name = (card.get("name") or {}) if isinstance(card.get("name"), dict) else {}
        phones = [
            str(phone.get("phone") or phone.get("wa_id") or "")
            for phone in card.get("phones") or []
            if isinstance(phone, dict)
        ]
        parts = [str(name.get("formatted_name") or ""), *phones]
        line = " ".join(part for part in parts if part)
        if line:
            lines.append(line)
    label = "👤 " + _("Contact card")
    return MessageDisplay(
        summary=message.body or (lines[0] if lines else _("Contact card")),
        label=label,
        details=tuple(line for line in lines if line != message.body),
    )


def _reaction(message: Message, payload: dict[str, Any]) -> MessageDisplay:
    emoji = message.body or str(payload.get("emoji") or "")
    if message.deleted_at is not None or not emoji:
        text = _("Reaction removed")
    else:
        text = _("Reacted %(emoji)s") % {"emoji": emoji}
    return MessageDisplay(summary=text, label=text)


_UNSUPPORTED_LABELS = {
    "story_mention": gettext_lazy("Mentioned you in their story"),
    "share": gettext_lazy("Shared a post"),
    "ig_post": gettext_lazy("Shared a post"),
    "reel": gettext_lazy("Shared a reel"),
    "ig_reel": gettext_lazy("Shared a reel"),
    "story": gettext_lazy("Shared a story"),
    "template": gettext_lazy("Sent a card with buttons"),
    "fallback": gettext_lazy("Shared a link"),
    "poll": gettext_lazy("Sent a poll"),
    "dice": gettext_lazy("Sent a dice roll"),
    "game": gettext_lazy("Sent a game"),
    "order": gettext_lazy("Sent an order"),
    "system": gettext_lazy("Changed their number or account"),
}


def _unsupported(message: Message, payload: dict[str, Any]) -> MessageDisplay:
    kind = str(payload.get("unsupported_type") or payload.get("attachment_type") or "")
    if kind in _UNSUPPORTED_LABELS:
        label = str(_UNSUPPORTED_LABELS[kind])
    elif kind and kind != "unsupported":
        label = _("Sent a kind of message we cannot show yet (%(type)s)") % {"type": kind}
    else:
        label = _("Sent a kind of message we cannot show yet")
    details: list[str] = []
    raw = payload.get("raw") if isinstance(payload.get("raw"), dict) else {}
    for error in (raw or {}).get("errors") or []:  # WhatsApp says why it was not delivered
        if isinstance(error, dict) and (error.get("title") or error.get("message")):
            details.append(str(error.get("title") or error.get("message")))
    if payload.get("title"):
        details.append(str(payload["title"]))
    url = _https(payload.get("url"))
    link_text = ""
    if url:
        link_text = _("Open the story") if kind == "story_mention" else _("Open the link")
    return MessageDisplay(
        summary=message.body or label,
        label=label,
        details=tuple(details),
        link_url=url,
        link_text=link_text,
    )


def message_display(message: Message) -> MessageDisplay:
    """How ``message`` is shown; see ``MessageDisplay``."""
    payload: dict[str, Any] = message.payload if isinstance(message.payload, dict) else {}
    kind = message.kind
    if kind == Kind.REACTION:
        return _reaction(message, payload)
    if message.deleted_at is not None:
        text = _("This message was deleted.")
        return MessageDisplay(summary=text, label=text)
    if kind == Kind.LOCATION:
        return _location(message, payload)
    if kind == Kind.CONTACT_CARD:
        return _contact_card(message, payload)
    if kind == Kind.UNSUPPORTED:
        return _unsupported(message, payload)
    details: tuple[str, ...] = ()
    link_url = ""
    story = payload.get("reply_to_story")
    if isinstance(story, dict):  # Instagram: an answer to the business's story
        details = (_("Replying to your story"),)
        link_url = _https(story.get("url"))
    if kind in _MEDIA_KINDS:
        state, note = _media(message)
        name = message.media_name or message.get_kind_display()
        label = "" if state == MEDIA_READY or message.body else name
        if kind == Kind.STICKER and not message.body and payload.get("emoji"):
            label = f"{message.get_kind_display()} {payload['emoji']}"
        return MessageDisplay(
            summary=message.body or name,
            label=label,
            details=details,
            link_url=link_url,
            link_text=_("Open the story") if link_url else "",
            media_state=state,
            media_note=note,
        )
    label = "" if message.body else _("Empty message")
    return MessageDisplay(
        summary=message.body or label,
        label=label,
        details=details,
        link_url=link_url,
        link_text=_("Open the story") if link_url else "",
    )
