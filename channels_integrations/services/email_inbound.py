"""Reading e-mail connections' mailboxes into the inbound pipeline.

``mailbox_poll`` signs in to one connection's IMAP folder, reads the mails after its cursor
(``MailboxCursor.last_uid``), keeps each raw mail in the tenant's private storage, and stores
its items as ``InboundEvent`` rows with the cursor's new position in one transaction: the
cursor only moves past a mail once its events are stored (persist, then acknowledge), so a
crash or a server restart repeats at most the mail in hand, which its Message-ID makes a
duplicate that stores nothing. Processing then follows the pipeline like any webhook item.

``mailbox_watch`` is the bounded job a Celery worker runs for a connection: it polls, waits
for new mail with IMAP IDLE where the server has it (else sleeps between polls), and returns
before ``EMAIL_WATCH_SECONDS``; the beat schedule starts one per connection every minute, and a
lock in the tenant's cache keeps one running per connection.

Refused, with a quarantined record the admins see on the inbound page (and may retry): a mail
larger than ``EMAIL_MAX_BYTES`` (not downloaded) and mails of a sender past
``EMAIL_SENDER_MAX_PER_HOUR`` (a loop with another robot).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from channels_integrations.models import MailboxCursor
from channels_integrations.providers.base import (
    InboundItem,
    InboundMessage,
    ProviderError,
    malformed_item,
)
from channels_integrations.providers.email.config import INBOUND_IMAP
from channels_integrations.providers.email.parse import mail_items
from channels_integrations.providers.email.provider import MAIL_AREA
from channels_integrations.providers.email.servers import (
    box_has_idle,
    imap_fetch_raw,
    imap_folder_state,
    imap_idle_wait,
    imap_session,
    imap_sizes,
    imap_uids_after,
)
from channels_integrations.services.connections import connection_error_report
from channels_integrations.services.inbound import inbound_items_receive
from connections.models import ChannelConnection
from tenants.tenancy import tenant_media_path

logger = logging.getLogger(__name__)

EMAIL_PROVIDER = "email"


@dataclass
class PollOutcome:
    mails: int = 0  # mails read from the server
    stored: int = 0  # new inbound events
    refused: int = 0  # mails set aside (too large, sender over its rate)


def _stored_mail(raw: bytes) -> str:
    """Keep the raw mail in the tenant's private storage (once: named by its content)."""
    name = tenant_media_path(MAIL_AREA, f"{hashlib.sha256(raw).hexdigest()}.eml")
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(raw))
        if saved != name:  # a concurrent save won the name: keep one copy
            default_storage.delete(saved)
    return name


def _sender_over_rate(connection: ChannelConnection, sender: str) -> bool:
    """Count one mail of ``sender`` in this hour (tenant-scoped cache); True past the limit."""
    hour = int(time.time() // 3600)
    digest = hashlib.sha256(sender.encode()).hexdigest()[:32]
    key = f"email-sender:{connection.pk}:{digest}:{hour}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        count = 1
    return bool(count > settings.EMAIL_SENDER_MAX_PER_HOUR)


def mail_items_of(
    connection: ChannelConnection, raw: bytes, *, uid: int, uid_validity: int
) -> list[InboundItem]:
    stored_name = _stored_mail(raw)
    items = mail_items(raw, stored_name=stored_name)
    messages = [item for item in items if isinstance(item, InboundMessage)]
    if messages and _sender_over_rate(connection, messages[0].external_id):
        logger.warning(
            "E-mail connection %s: sender over %s mails an hour, mail set aside",
            connection.public_id,
            settings.EMAIL_SENDER_MAX_PER_HOUR,
        )
        return [
            malformed_item(
                "sender_rate_limited",
                {
                    "reason": "sender_rate_limited",
                    "stored_name": stored_name,
                    "sender": messages[0].external_id,
                    "subject": messages[0].extra.get("email", {}).get("subject", ""),
                    "uid": uid,
                    "uid_validity": uid_validity,
                },
            )
        ]
    if not items:
        logger.info(
            "E-mail connection %s: automatic mail (auto-reply or report) uid %s ignored",
            connection.public_id,
            uid,
        )
    return items


def _too_large(uid: int, uid_validity: int, size: int) -> list[InboundItem]:
    return [
        malformed_item(
            "mail_too_large",
            {
                "reason": "mail_too_large",
                "uid": uid,
                "uid_validity": uid_validity,
                "size": size,
                "max_bytes": settings.EMAIL_MAX_BYTES,
            },
        )
    ]


def _cursor(connection: ChannelConnection, uid_validity: int) -> MailboxCursor:
    cursor, _ = MailboxCursor.objects.get_or_create(connection=connection)
    if cursor.uid_validity != uid_validity:
        # A renumbered folder (or the first read): start over; Message-IDs drop what we have.
        if cursor.uid_validity:
            logger.warning(
                "E-mail connection %s: UIDVALIDITY changed, reading the folder again",
                connection.public_id,
            )
        cursor.uid_validity = uid_validity
        cursor.last_uid = 0
        cursor.save(update_fields=["uid_validity", "last_uid", "updated_at"])
    return cursor


# Mails fetched in one IMAP command (each is still stored in its own transaction).
FETCH_CHUNK = 10


def _read_new(
    connection: ChannelConnection, box: Any, uid_validity: int, *, batch: int
) -> PollOutcome:
    outcome = PollOutcome()
    cursor = _cursor(connection, uid_validity)
    uids = imap_uids_after(box, cursor.last_uid, limit=batch)
    sizes = imap_sizes(box, uids)
    for start in range(0, len(uids), FETCH_CHUNK):
        chunk = uids[start : start + FETCH_CHUNK]
        wanted = [uid for uid in chunk if sizes.get(uid, 0) <= settings.EMAIL_MAX_BYTES]
        mails = imap_fetch_raw(box, wanted)
        for uid in chunk:
            if uid not in wanted:
                items = _too_large(uid, uid_validity, sizes.get(uid, 0))
            elif uid in mails:
                items = mail_items_of(connection, mails[uid], uid=uid, uid_validity=uid_validity)
            else:  # gone between the search and the fetch (expunged): nothing to read
                items = []
            with transaction.atomic():
                outcome.stored += inbound_items_receive(connection=connection, items=items)
                MailboxCursor.objects.filter(pk=cursor.pk).update(
                    last_uid=uid, last_polled_at=timezone.now(), updated_at=timezone.now()
                )
            outcome.mails += 1
            outcome.refused += sum(1 for item in items if not isinstance(item, InboundMessage))
    return outcome


def mailbox_poll(
    *, connection: ChannelConnection, batch: int = 50, seconds: float = 0
) -> PollOutcome:
    """Read the mails after the connection's cursor, ``batch`` at a time, in one IMAP session.
    With ``seconds``, go on for that long: when the folder has nothing new, wait on IDLE (or
    sleep) ``EMAIL_POLL_SECONDS`` at most, then read again."""
    total = PollOutcome()
    deadline = time.monotonic() + seconds
    with imap_session(connection.credentials) as box:
        state = imap_folder_state(box)
        idle = seconds > 0 and box_has_idle(box)
        while True:
            outcome = _read_new(connection, box, state.uid_validity, batch=batch)
            total.mails += outcome.mails
            total.stored += outcome.stored
            total.refused += outcome.refused
            left = deadline - time.monotonic()
            if left <= 0.5:
                break
            if outcome.mails:
                continue
            wait = min(left, float(settings.EMAIL_POLL_SECONDS))
            if idle:
                # Re-issued every interval: a server that does not announce new mail (or a
                # missed announcement) costs at most one interval.
                imap_idle_wait(box, wait)
            else:
                time.sleep(wait)
                box.client.noop()  # lets the server report what arrived meanwhile
    return total


def _lock_key(connection: ChannelConnection) -> str:
    return f"email-watch:{connection.pk}"


def mailbox_watch(*, connection_id: int, seconds: float | None = None) -> PollOutcome:
    """The bounded job of one connection: poll until ``seconds`` (default
    ``EMAIL_WATCH_SECONDS``) have passed, waiting on IDLE or ``EMAIL_POLL_SECONDS`` between
    polls. Does nothing when another job of the connection holds the lock."""
    total = PollOutcome()
    connection = ChannelConnection.objects.filter(
        pk=connection_id, provider=EMAIL_PROVIDER, is_active=True
    ).first()
    if connection is None:
        return total
    if connection.credentials.get("inbound", INBOUND_IMAP) != INBOUND_IMAP:
        return total  # mail arrives through the provider's webhook
    budget = settings.EMAIL_WATCH_SECONDS if seconds is None else seconds
    key = _lock_key(connection)
    if not cache.add(key, 1, int(budget) + 60):
        return total
    try:
        try:
            total = mailbox_poll(connection=connection, seconds=budget)
        except ProviderError as exc:
            logger.warning("E-mail connection %s: %s", connection.public_id, exc.detail)
            if exc.permanent:
                connection_error_report(connection=connection, detail=exc.detail)
    finally:
        cache.delete(key)
    return total


def mailboxes_watch_enqueue() -> int:
    """Start the bounded job of every active e-mail connection of the current tenant."""
    from channels_integrations.tasks import email_mailbox_watch_task

    ids = list(
        ChannelConnection.objects.filter(provider=EMAIL_PROVIDER, is_active=True).values_list(
            "pk", flat=True
        )
    )
    for connection_id in ids:
        email_mailbox_watch_task.apply_async(
            args=(connection_id,), queue="bulk", expires=settings.EMAIL_WATCH_SECONDS
        )
    return len(ids)
