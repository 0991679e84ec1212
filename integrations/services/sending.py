"""Messages sent by integrators (the send API and the compatible external API).

The contact is named or found (created) by phone, the conversation reuses the contact's open
ticket on the connection, accepts a pending one or opens one assigned to the key's admin (no
bot runs on it), and the message goes through ``message_send``: stored ``queued`` and handed
to the outbound pipeline once, after commit.

Idempotency: with a key (``Idempotency-Key`` or ``externalKey``) the request's record is
inserted first, in the same transaction as the message. An identical request arriving at the
same time waits on the record's unique index until the first commits, then gets the stored
answer: ten concurrent retries make one message. A record older than 24 hours is replaced.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from connections.models import ChannelConnection
from contacts.models import Contact
from contacts.phone_numbers import phone_normalize, tenant_phone_region
from contacts.services import contact_create
from core.exceptions import FieldValidationError
from integrations.errors import (
    ApiKeyConnectionMismatch,
    ConnectionRequired,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
)
from integrations.models import ApiKey, IdempotencyRecord
from tickets.errors import ConnectionInactive
from tickets.models import Message, Ticket
from tickets.services import message_send, ticket_accept, ticket_create_outbound

IDEMPOTENCY_WINDOW = timedelta(hours=24)
IDEMPOTENCY_KEY_MAX_LENGTH = 255


@dataclass(frozen=True, kw_only=True)
class SendRequest:
    """What an integrator asked to send: to ``contact`` or ``phone``, on ``connection`` (or the
    key's own), a text and/or a file."""

    contact: Contact | None = None
    phone: str = ""
    connection: ChannelConnection | None = None
    body: str = ""
    media: File | None = None
    media_name: str = ""

    def fingerprint(self) -> str:
        """A hash of the request, to tell a retry from another request with the same key."""
        digest = hashlib.sha256()
        if self.media is not None:
            self.media.seek(0)
            for chunk in self.media.chunks():
                digest.update(chunk)
            self.media.seek(0)
        facts = {
            "contact": self.contact.pk if self.contact else None,
            "phone": self.phone.strip(),
            "connection": self.connection.pk if self.connection else None,
            "body": self.body,
            "media": digest.hexdigest() if self.media is not None else None,
        }
        return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class SendOutcome:
    """The message (new or the one an earlier identical request made) and whether this
    request replayed an earlier one."""

    message: Message
    replayed: bool


def idempotency_key_clean(raw: str | None) -> str | None:
    """The header's value, None when absent; 400 when empty, too long or not printable."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
        raise IdempotencyKeyInvalid()
    return key


def _connection_for(key: ApiKey, requested: ChannelConnection | None) -> ChannelConnection:
    if key.connection_id is not None:
        if requested is not None and requested.pk != key.connection_id:
            raise ApiKeyConnectionMismatch()
        connection = cast(ChannelConnection, key.connection)
    elif requested is None:
        raise ConnectionRequired()
    else:
        connection = requested
    if not connection.is_active:
        raise ConnectionInactive()
    return connection


def _contact_for(request: SendRequest) -> Contact:
    if request.contact is not None:
        return request.contact
    if not request.phone.strip():
        raise FieldValidationError({"phone": [_("Name a contact or a phone number.")]})
    phone = phone_normalize(request.phone, region=tenant_phone_region())
    existing = Contact.objects.filter(phone=phone).first()
    if existing is not None:
        return existing
    return contact_create(name=phone, phone=phone)


def _ticket_for(contact: Contact, connection: ChannelConnection, by: User) -> Ticket:
    active = (
        Ticket.objects.filter(contact=contact, connection=connection, deleted_at__isnull=True)
        .exclude(status=Ticket.Status.CLOSED)
        .first()
    )
    if active is None:
        return ticket_create_outbound(contact=contact, connection=connection, by=by)
    if active.status == Ticket.Status.PENDING:
        return ticket_accept(ticket=active, by=by)
    return active


def _send(*, key: ApiKey, by: User, request: SendRequest) -> Message:
    connection = _connection_for(key, request.connection)
    contact = _contact_for(request)
    ticket = _ticket_for(contact, connection, by)
    return message_send(ticket=ticket, by=by, body=request.body, media=request.media)


@transaction.atomic
def api_message_send(
    *,
    key: ApiKey,
    by: User,
    request: SendRequest,
    idempotency_key: str | None = None,
) -> SendOutcome:
    """Send ``request`` as ``by`` (the key's admin); at most once per ``idempotency_key``
    within 24 hours (422 ``idempotency_key_reused`` when the key came with another request)."""
    if idempotency_key is None:
        return SendOutcome(_send(key=key, by=by, request=request), replayed=False)
    fingerprint = request.fingerprint()
    IdempotencyRecord.objects.filter(
        api_key=key, key=idempotency_key, created_at__lt=timezone.now() - IDEMPOTENCY_WINDOW
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                api_key=key, key=idempotency_key, request_hash=fingerprint
            )
    except IntegrityError:
        # An identical request committed first (we waited for it on the unique index).
        earlier = IdempotencyRecord.objects.select_related("message").get(
            api_key=key, key=idempotency_key
        )
        if earlier.request_hash != fingerprint:
            raise IdempotencyKeyReused() from None
        # The first request stored its message before committing the record.
        return SendOutcome(cast(Message, earlier.message), replayed=True)
    message = _send(key=key, by=by, request=request)
    record.message = message
    record.save(update_fields=["message", "updated_at"])
    return SendOutcome(message, replayed=False)
