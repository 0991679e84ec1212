"""The web chat widget's visitors: who they are, what they send, what they may read.

A visitor starts a conversation with a name (and optionally an e-mail and phone) and receives a
signed token: ``{connection, visitor id}`` signed with the project key and a salt of the
tenant's schema, so it is worthless on another widget or another tenant. The widget keeps it in
a cookie on our origin and in the iframe's own storage (sent back as ``X-Visitor-Token`` when
the browser withholds third-party cookies).

Messages go through the inbound pipeline exactly like a provider's webhook: one
``InboundEvent`` per message with the widget's client-side id (a retried POST is stored once),
processed by Celery into contact, ticket and message. Files are checked before anything is
stored (tickets.media limits) and kept under the tenant's prefix until processing copies them
into the message.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from channels_integrations.domain_events import WebchatVisitorTyping
from channels_integrations.errors import VisitorForbidden, WidgetNotFound, WidgetThrottled
from channels_integrations.models import InboundEvent
from channels_integrations.providers.base import InboundMedia, InboundMessage
from channels_integrations.providers.webchat.provider import (
    DEFAULT_COLOR,
    VISITOR_ID,
    visitor_message_prefix,
)
from channels_integrations.services.inbound import inbound_items_receive
from connections.models import ChannelConnection
from contacts.errors import ContactPhoneExists, InvalidPhone
from contacts.models import Contact, ContactIdentity
from contacts.phone_numbers import phone_normalize, tenant_phone_region
from contacts.services import contact_update, contact_upsert_from_identity
from core.counters import cache_count
from core.event_bus import DomainEvent, publish_now, together_memo
from core.exceptions import FieldValidationError
from core.selectors import get_visible_or_404
from tenants.realtime import visitor_group
from tenants.tenancy import current_schema, tenant_media_path
from tickets.domain_events import MessageCreated
from tickets.media import media_validate
from tickets.models import Message, Ticket
from tickets.selectors import ticket_active_for

PROVIDER = "webchat"
TOKEN_MAX_AGE = 180 * 24 * 3600  # a visitor keeps the conversation for six months
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MESSAGE_MAX_LENGTH = 4096
# (requests, seconds): fixed windows per visitor token and per address (cache keys are
# tenant-scoped by the cache itself). An address is shared by many visitors (an office, a mobile
# carrier), so its message limit is wider than one visitor's.
LIMITS = {
    "start": (20, 3600),
    "message": (30, 60),
    "message_ip": (120, 60),
    "read": (60, 60),  # history (on every reconnect) and files
    "read_ip": (300, 60),
}


@dataclass(frozen=True)
class Visitor:
    id: str
    contact: Contact


def webchat_connection_get(public_id: UUID | str) -> ChannelConnection:
    """The active web chat connection with that public id (404 otherwise)."""
    connections = ChannelConnection.objects.filter(provider=PROVIDER, is_active=True)
    return get_visible_or_404(connections, WidgetNotFound, public_id=public_id)


def webchat_settings(connection: ChannelConnection) -> dict[str, Any]:
    """The widget's settings, from the connection's ``details`` (the provider's check copies
    the validated settings there; connections made before that keep them only encrypted)."""
    details = connection.details
    values = details if "allowed_origins" in details else connection.credentials
    return {
        "allowed_origins": list(values.get("allowed_origins") or []),
        "title": str(values.get("title") or connection.name),
        "color": str(values.get("color") or DEFAULT_COLOR),
        "welcome": str(values.get("welcome") or ""),
    }


def _salt() -> str:
    return f"webchat-visitor:{current_schema()}"


def webchat_throttle(kind: str, key: str) -> None:
    """429 ``throttled`` (with ``retry_after``) once ``key`` used up its window of ``kind``."""
    limit, window = LIMITS[kind]
    bucket = int(time.time() // window)
    used = cache_count(f"webchat:{kind}:{key}:{bucket}", window=window)
    if used > limit:
        retry_after = int(window - time.time() % window) + 1
        raise WidgetThrottled(extra={"retry_after": retry_after})


@transaction.atomic
def webchat_visitor_start(
    *, connection: ChannelConnection, name: str, email: str = "", phone: str = ""
) -> tuple[Visitor, str]:
    """A new visitor and their token; the contact exists at once (agents see the name).

    Every visitor gets a contact of their own: the e-mail and phone are typed by anyone into a
    public form, so they never join the visitor to an existing contact (whose conversations
    and replies would then be theirs to read)."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Tell us your name.")]
    elif len(name) > 80:
        errors["name"] = [_("Use at most 80 characters.")]
    email = (email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    normalized = ""
    if (phone or "").strip():
        try:
            normalized = phone_normalize(phone, region=tenant_phone_region())
        except InvalidPhone:
            errors["phone"] = [_("Enter a valid phone number with area code.")]
    if errors:
        raise FieldValidationError(errors)
    visitor_id = uuid.uuid4().hex
    contact, _created = contact_upsert_from_identity(
        provider=PROVIDER, external_id=visitor_id, name=name
    )
    if email or normalized:
        contact = _visitor_contact_details(contact, email=email, phone=normalized)
    token = signing.dumps({"c": str(connection.public_id), "v": visitor_id}, salt=_salt())
    return Visitor(id=visitor_id, contact=contact), token


def _visitor_contact_details(contact: Contact, *, email: str, phone: str) -> Contact:
    """The visitor's e-mail and phone on their new contact. A phone that is another contact's
    is written in the notes for agents to compare, not taken from that contact."""
    try:
        return contact_update(contact=contact, email=email or None, phone=phone or None)
    except ContactPhoneExists:
        contact.refresh_from_db()
        note = _("Phone given in the web chat, already another contact's: %(phone)s") % {
            "phone": phone
        }
        return contact_update(contact=contact, email=email or None, notes=note)


def webchat_visitor_from_token(*, connection: ChannelConnection, token: str) -> Visitor:
    """The visitor a token names, if it was issued by this widget of this tenant (403)."""
    if not token:
        raise VisitorForbidden()
    try:
        data = signing.loads(token, salt=_salt(), max_age=TOKEN_MAX_AGE)
    except signing.BadSignature as exc:  # SignatureExpired included
        raise VisitorForbidden() from exc
    visitor_id = str(data.get("v") or "") if isinstance(data, dict) else ""
    if data.get("c") != str(connection.public_id) or not VISITOR_ID.match(visitor_id):
        raise VisitorForbidden()
    contact = Contact.objects.filter(
        identities__provider=PROVIDER, identities__external_id=visitor_id
    ).first()
    if contact is None:  # merged away or erased: start again
        raise VisitorForbidden()
    return Visitor(id=visitor_id, contact=contact)


def webchat_message_post(
    *,
    connection: ChannelConnection,
    visitor: Visitor,
    client_id: str,
    text: str = "",
    upload: UploadedFile | None = None,
) -> bool:
    """Record one visitor message for processing; False when ``client_id`` was seen already
    (a retried POST). Nothing is stored when the input is refused."""
    if not _CLIENT_ID.match(client_id or ""):
        raise FieldValidationError({"client_id": [_("A message id is required.")]})
    text = (text or "").strip()
    if len(text) > MESSAGE_MAX_LENGTH:
        raise FieldValidationError(
            {"text": [_("Use at most %(max)d characters.") % {"max": MESSAGE_MAX_LENGTH}]}
        )
    if not text and upload is None:
        raise FieldValidationError({"text": [_("Write a message or attach a file.")]})
    media = None
    kind: str = Message.Kind.TEXT
    event_id = f"{visitor.id}:{client_id}"
    if upload is not None:
        info = media_validate(file=upload, name=upload.name or "")
        if InboundEvent.objects.filter(connection=connection, provider_event_id=event_id).exists():
            return False  # a retried upload: the file was kept the first time
        stored = default_storage.save(
            tenant_media_path("webchat", f"{visitor.id}/{uuid.uuid4().hex}-{info.name}"), upload
        )
        media = InboundMedia(
            provider_media_id=stored, mime_type=info.mime, filename=info.name, size=info.size
        )
        kind = info.kind
    item = InboundMessage(
        event_id=event_id,
        external_id=visitor.id,
        provider_message_id=visitor_message_prefix(visitor.id) + client_id,
        kind=kind,
        body=text,
        contact_name=visitor.contact.name,
        media=media,
    )
    return inbound_items_receive(connection=connection, items=[item]) == 1


def _visitor_messages(connection: ChannelConnection, visitor: Visitor) -> Any:
    """What the visitor may read: on their tickets of this widget, the messages they sent and
    those delivered to them (agents', the bot's, the greeting and farewell), both named by
    their provider message id; never notes, never what went to another visitor of the same
    contact."""
    return Message.objects.filter(
        ticket__connection=connection,
        ticket__contact=visitor.contact,
        provider_message_id__startswith=visitor_message_prefix(visitor.id),
        is_note=False,
        deleted_at__isnull=True,
    )


def _row(message: Message, visitor_id: str) -> dict[str, Any]:
    """A message as the widget shows it (history and live pushes alike)."""
    inbound = message.direction == Message.Direction.INBOUND
    client_id = (message.provider_message_id or "").removeprefix(visitor_message_prefix(visitor_id))
    display = message.display  # what a message without text of its own says (every kind)
    return {
        "id": str(message.public_id),
        "from": "visitor" if inbound else "agent",
        "client_id": client_id if inbound else "",
        "kind": message.kind,
        "body": message.body,
        "media_name": message.media_name if message.media else "",
        "summary": display.summary,
        "label": display.label,
        "details": list(display.details),
        "link_url": display.link_url,
        "link_text": display.link_text,
        "media_state": display.media_state,
        "media_note": display.media_note,
        "status": message.status,
        "at": message.created_at.isoformat(),
    }


def webchat_history(
    *, connection: ChannelConnection, visitor: Visitor, limit: int = 100
) -> list[dict[str, Any]]:
    """The visitor's conversation on this widget, oldest first: their messages and the
    replies; never notes, never other customers'."""
    rows = list(_visitor_messages(connection, visitor).order_by("-created_at", "-pk")[:limit])
    rows.reverse()
    return [_row(message, visitor.id) for message in rows]


def webchat_media_message(
    *, connection: ChannelConnection, visitor: Visitor, message_id: UUID
) -> Message:
    message = _visitor_messages(connection, visitor).filter(public_id=message_id).first()
    if message is None or not message.media:
        raise WidgetNotFound()
    return message


def _inbound_visitor_messages(message_ids: list[int]) -> QuerySet[Message]:
    return Message.objects.filter(
        pk__in=message_ids,
        connection__provider=PROVIDER,
        direction=Message.Direction.INBOUND,
        is_note=False,
    )


def _batch_visitor_messages(
    events: Sequence[DomainEvent],
) -> tuple[frozenset[int], dict[int, Message]]:
    """The web chat visitors' messages among an inbound batch's (one query for the batch)."""
    ids = frozenset(e.message_id for e in events if isinstance(e, MessageCreated))
    return ids, {m.pk: m for m in _inbound_visitor_messages(list(ids))}


def webchat_visitor_notify(*, message_id: int) -> None:
    """Tell the visitor's open widgets that their message was received (it is stored on the
    ticket now): the widget swaps its pending bubble for this one. Agents' replies are pushed by
    the provider's ``send`` instead, when the outbound pipeline delivers them."""
    batch = together_memo("webchat.visitor_messages", _batch_visitor_messages)
    if batch is not None and message_id in batch[0]:
        message = batch[1].get(message_id)
    else:
        message = _inbound_visitor_messages([message_id]).first()
    if message is None:
        return
    visitor_id = (message.provider_message_id or "").removeprefix("webchat-")[:32]
    layer = get_channel_layer()
    if not VISITOR_ID.match(visitor_id) or layer is None:
        return
    event = {"type": "webchat.message", "message": _row(message, visitor_id)}
    async_to_sync(layer.group_send)(visitor_group(message.connection_id, visitor_id), event)


def webchat_visitor_typing(
    *, connection: ChannelConnection, visitor: Visitor, typing: bool
) -> None:
    """The visitor is typing (or stopped): tell the agents of their open ticket on this widget.
    Nothing is stored; with no open ticket (a first message not yet processed) it goes nowhere."""
    ticket = ticket_active_for(contact=visitor.contact, connection_id=connection.pk)
    if ticket is not None and ticket.deleted_at is None:
        publish_now(WebchatVisitorTyping(ticket_id=ticket.pk, typing=typing))


def webchat_typing_groups(ticket: Ticket) -> list[str]:
    """The groups of the web chat visitor sockets that follow ``ticket`` (its contact's visitor
    ids on the ticket's widget): where an agent's typing signal is shown. Empty for a ticket of
    another channel."""
    if ticket.connection.provider != PROVIDER:
        return []
    visitor_ids = ContactIdentity.objects.filter(
        contact_id=ticket.contact_id, provider=PROVIDER
    ).values_list("external_id", flat=True)
    return [
        visitor_group(ticket.connection_id, visitor_id)
        for visitor_id in sorted(visitor_ids)
        if VISITOR_ID.match(visitor_id)
    ]
