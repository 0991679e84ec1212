"""The inbound pipeline: provider webhook → ``InboundEvent`` rows → messages.

Receiving (the webhook view, platform host): find the route and the active connection (kept in
the process, ``services/webhook_routes.py``), enter the tenant, verify the request against the
connection, parse it, store one event per item with ``ON CONFLICT DO NOTHING`` (a redelivery
stores nothing), enqueue processing after commit, and answer 200. Processing (Celery,
``inbound`` queue): contact upsert through its identity, the ticket rules of
``message_receive``, media downloaded into the tenant's private storage within the size and
type limits, statuses applied monotonically, edits and deletions. Processing an event twice
creates nothing new. ``inbound_events_sweep`` re-enqueues events whose task was lost.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db import connection as db
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from psycopg import errors as psycopg_errors

from channels_integrations.domain_events import OutboundStatusUnmatched
from channels_integrations.errors import WebhookForbidden, WebhookMalformed, WebhookUnknown
from channels_integrations.models import BlockedMessage, InboundEvent, OutboundDelivery
from channels_integrations.providers.base import (
    ChannelProvider,
    ContactProfile,
    InboundAccountError,
    InboundItem,
    InboundMalformed,
    InboundMedia,
    InboundMessage,
    InboundSession,
    InboundStatus,
    InboundTemplateStatus,
    ProviderError,
    WebhookRejected,
)
from channels_integrations.providers.registry import UnknownProvider, provider_for
from channels_integrations.services.connections import connection_error_report
from channels_integrations.services.contact_avatars import contact_avatar_enqueue
from channels_integrations.services.sessions import connection_session_update
from channels_integrations.services.templates import template_status_apply
from channels_integrations.services.webhook_routes import (
    webhook_route,
    webhook_route_forget,
    webhook_routes_forget,
)
from connections.models import ChannelConnection
from contacts.models import Contact, ContactIdentity
from contacts.services import contact_upsert_from_identity
from core.event_bus import publish_now
from core.text import data_clean, text_truncate
from tenants.models import Tenant
from tenants.tenancy import current_tenant, tenant_scope
from tenants.tenant_settings import tenant_setting
from tickets.errors import MediaTooLarge, MediaTypeNotAllowed
from tickets.media import MEDIA_LOADING, media_validate
from tickets.models import Message, Ticket
from tickets.services.messages import (
    ReceivedMessage,
    message_delete_by_contact,
    message_edit_by_contact,
    message_media_fill,
    message_reaction_remove_by_contact,
    message_receive,
    message_record_sent_elsewhere,
    message_status_update,
    message_status_watermark,
)
from tickets.services.tickets import tickets_active_locked

logger = logging.getLogger(__name__)

# Processing attempts of one event before it is marked failed (a poison payload, a file the
# provider keeps refusing to hand over); visible to operators in the admin.
MAX_PROCESS_ATTEMPTS = 5
# Seconds before a retried event is processed again: base * 2^(attempt-1), capped.
RETRY_BASE_SECONDS = 10
RETRY_MAX_SECONDS = 300

MEDIA_TOO_LARGE = "media_too_large"
MEDIA_TYPE_NOT_ALLOWED = "media_type_not_allowed"
MEDIA_DOWNLOAD_FAILED = "media_download_failed"
# A customer's text longer than this is stored cut, with core.text.TRUNCATION_MARKER after it
# (never refused: the message must not be lost). Providers send far less (WhatsApp and Telegram
# 4,096 characters, Messenger 2,000, Instagram 1,000), so only a forged or broken body hits it.
MESSAGE_TEXT_MAX_CHARS = 16_384
# A customer's profile (Messenger, Instagram) is asked of the provider at most this often.
CONTACT_PROFILE_REFRESH_SECONDS = 24 * 60 * 60


class InboundRetryLater(Exception):
    """Processing cannot finish now (a provider hiccup, a status ahead of its message); the
    task retries after ``countdown`` seconds."""

    def __init__(self, reason: str, *, countdown: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.countdown = countdown


@dataclass(frozen=True)
class WebhookReceipt:
    """What one webhook delivery did: new events stored, redeliveries dropped, and items for
    accounts that no connection routes (shared URLs only)."""

    stored: int
    duplicates: int
    ignored: int = 0
    quarantined: int = 0  # unreadable parts, stored aside (a redelivered one counts again)


# --------------------------------------------------------------------------- item <-> JSON


def inbound_item_to_json(item: InboundItem) -> tuple[str, dict[str, Any]]:
    """``(kind, data)`` of a neutral item, as stored in ``InboundEvent``: every string made
    storable (``core.text.text_clean``) and a message's text capped at
    ``MESSAGE_TEXT_MAX_CHARS``."""
    data = data_clean(item)
    if isinstance(data.get("body"), str) and isinstance(item, InboundMessage):
        data["body"] = text_truncate(data["body"], MESSAGE_TEXT_MAX_CHARS)
    for key in ("sent_at", "at"):
        if isinstance(data.get(key), datetime):
            data[key] = data[key].isoformat()
    return _ITEM_KINDS[type(item)], data


_ITEM_KINDS: dict[type[Any], str] = {
    InboundMessage: InboundEvent.Kind.MESSAGE,
    InboundStatus: InboundEvent.Kind.STATUS,
    InboundAccountError: InboundEvent.Kind.ERROR,
    InboundMalformed: InboundEvent.Kind.MALFORMED,
    InboundSession: InboundEvent.Kind.SESSION,
    InboundTemplateStatus: InboundEvent.Kind.TEMPLATE,
}


def inbound_item_from_json(kind: str, data: dict[str, Any]) -> InboundItem:
    """The neutral item stored by ``inbound_item_to_json``."""
    values = dict(data)
    for key in ("sent_at", "at"):
        if isinstance(values.get(key), str):
            values[key] = parse_datetime(values[key])
    if kind == InboundEvent.Kind.STATUS:
        return InboundStatus(**values)
    if kind == InboundEvent.Kind.ERROR:
        return InboundAccountError(**values)
    if kind == InboundEvent.Kind.MALFORMED:
        return InboundMalformed(**values)
    if kind == InboundEvent.Kind.SESSION:
        return InboundSession(**values)
    if kind == InboundEvent.Kind.TEMPLATE:
        return InboundTemplateStatus(**values)
    media = values.pop("media", None)
    return InboundMessage(**values, media=InboundMedia(**media) if media else None)


# --------------------------------------------------------------------------- receiving


def _parse(provider: ChannelProvider, body: bytes) -> list[InboundItem]:
    """The provider's items, or 400 ``webhook_malformed`` for a body it cannot read: not
    JSON, or nested too deeply (adapters parse with ``core.json_bodies.json_loads_safe``;
    ``RecursionError`` covers one that does not)."""
    try:
        return provider.parse_inbound(body)
    except (ValueError, RecursionError) as exc:  # json.JSONDecodeError included
        raise WebhookMalformed() from exc


@contextmanager
def _connection_gone_is_unknown(forget: Callable[[], None]) -> Iterator[None]:
    """An event ``INSERT`` (or its commit) that fails its connection's foreign key: the
    connection was deleted after the webhook routes' cache read it (a deletion whose generation
    bump had not reached this process yet). Nothing is stored; the entry is dropped and the
    webhook answers 404, as it would have a moment later."""
    try:
        yield
    except IntegrityError as exc:
        if not isinstance(exc.__cause__, psycopg_errors.ForeignKeyViolation):
            raise
        forget()
        logger.info("Webhook for a connection deleted meanwhile: nothing stored")
        raise WebhookUnknown() from exc


def _verify(provider: ChannelProvider, request: HttpRequest, connection: ChannelConnection) -> None:
    try:
        provider.verify_request(request, connection)
    except WebhookRejected as exc:
        logger.warning("Webhook for connection %s rejected: %s", connection.public_id, exc)
        raise WebhookForbidden() from exc


_INSERT_EVENT = """
    INSERT INTO {table}
        (created_at, updated_at, connection_id, provider_event_id, kind, item, status,
         attempts, last_error)
    VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, 0, %s)
    ON CONFLICT (connection_id, provider_event_id) DO NOTHING
    RETURNING id
"""


def inbound_events_record(
    *, connection: ChannelConnection, items: Sequence[InboundItem]
) -> list[int]:
    """Store one ``InboundEvent`` per item, skipping event ids already stored for the
    connection; returns the ids of the new rows to process (in the current tenant's schema).
    Unreadable parts (``InboundMalformed``) are stored quarantined, logged, and not returned."""
    return [event_id for event_id, _ in _events_store(connection, items)]


def inbound_item_batchable(item: InboundItem) -> bool:
    """Whether the item is processed in its connection's batches
    (``channels_integrations.services.inbound_batches``): a status, or a customer's message
    without a file (nothing to download) that is not an echo. The rest, and every retry, is
    processed one event per task."""
    if isinstance(item, InboundStatus):
        return True
    return isinstance(item, InboundMessage) and item.media is None and not item.is_echo


def _events_store(
    connection: ChannelConnection, items: Sequence[InboundItem]
) -> list[tuple[int, bool]]:
    """``(id, batchable)`` of each new event to process."""
    sql = _INSERT_EVENT.format(table=InboundEvent._meta.db_table)
    now = timezone.now()
    created: list[tuple[int, bool]] = []
    with db.cursor() as cursor:
        for item in items:
            kind, data = inbound_item_to_json(item)
            quarantined = isinstance(item, InboundMalformed)
            status = InboundEvent.Status.RECEIVED
            if quarantined:
                status = InboundEvent.Status.QUARANTINED
            cursor.execute(
                sql,
                [
                    now,
                    now,
                    connection.pk,
                    data["event_id"][:255],
                    kind,
                    json.dumps(data),
                    status,
                    data["reason"][:500] if quarantined else "",
                ],
            )
            row = cursor.fetchone()
            if row is None:
                continue
            if quarantined:
                logger.warning(
                    "Inbound item of connection %s quarantined (event %s): %s",
                    connection.public_id,
                    row[0],
                    data["reason"],
                )
            else:
                created.append((row[0], inbound_item_batchable(item)))
    return created


def inbound_events_enqueue(tenant: Tenant, event_ids: Sequence[int]) -> None:
    """Publish the processing tasks inside the tenant (the task runs in that schema).

    A suspended tenant's events stay stored and are picked up by the sweeper once it is
    resumed; a broker failure here is logged (``robust`` on-commit) and the sweeper catches up.
    """
    from channels_integrations.tasks import inbound_event_process_task

    if not tenant.is_active:
        return
    with tenant_scope(tenant):
        for event_id in event_ids:
            inbound_event_process_task.apply_async(args=(event_id,), queue="inbound")


def _record_for(
    tenant: Tenant,
    connection: ChannelConnection,
    items: Sequence[InboundItem],
) -> int:
    from channels_integrations.services.inbound_batches import inbound_batch_enqueue

    stored = _events_store(connection, items)
    single = [event_id for event_id, batchable in stored if not batchable]
    if single:
        transaction.on_commit(partial(inbound_events_enqueue, tenant, single), robust=True)
    if len(single) < len(stored):
        # One task for the connection's batches, coalesced: none is published while one waits.
        transaction.on_commit(partial(inbound_batch_enqueue, tenant, connection.pk), robust=True)
    return len(stored)


def _storing(items: Sequence[InboundItem]) -> AbstractContextManager[Any]:
    """The transaction that stores a delivery's items: one for several, none for one. A single
    item is one ``INSERT`` in autocommit, committed before its on-commit publish runs (at once)
    and before the caller answers, so the acknowledgement saves the ``BEGIN`` and ``COMMIT``
    round trips (two of its statements) and still answers only for what is stored."""
    return transaction.atomic() if len(items) > 1 else nullcontext()


def inbound_items_receive(*, connection: ChannelConnection, items: Sequence[InboundItem]) -> int:
    """Store items that reached us without a webhook (the web chat widget posts to the tenant
    host): the same persist-once-then-enqueue path, in the current tenant; returns how many
    were new."""
    with transaction.atomic():
        return _record_for(current_tenant(), connection, items)


def inbound_webhook_receive(
    *,
    provider_key: str,
    request: HttpRequest,
    route_key: str | None = None,
    envelope_keys: Sequence[str] = (),
) -> WebhookReceipt:
    """Verify, store and enqueue one webhook delivery; the caller answers 200.

    ``route_key`` is the token of a per-connection URL; ``None`` for a shared URL, where each
    item's own ``route_key`` finds its connection. Raises ``WebhookUnknown`` (404) when no
    connection receives it, ``WebhookForbidden`` (403) when the signature or secret is wrong,
    ``WebhookMalformed`` (400) for a body the provider would never send; in each case nothing
    is stored. Items of a shared delivery for accounts nobody routes are counted as ignored.
    ``envelope_keys`` are the accounts a shared delivery's envelope names: a delivery with no
    item we store is still acknowledged only when those accounts' connections verify it.
    """
    try:
        provider = provider_for(provider_key)
    except UnknownProvider as exc:
        raise WebhookUnknown() from exc
    if route_key is not None:
        return _receive_for_connection(provider, provider_key, request, route_key)
    return _receive_shared(provider, provider_key, request, envelope_keys)


def _receive_for_connection(
    provider: ChannelProvider, provider_key: str, request: HttpRequest, route_key: str
) -> WebhookReceipt:
    routed = webhook_route(provider_key, route_key)
    if routed is None:
        raise WebhookUnknown()
    tenant, connection = routed
    with (
        _connection_gone_is_unknown(partial(webhook_route_forget, provider_key, route_key)),
        tenant_scope(tenant),
    ):
        _verify(provider, request, connection)
        items = _parse(provider, request.body)
        with _storing(items):
            stored = _record_for(tenant, connection, items)
    quarantined = _malformed_count(items)
    return WebhookReceipt(
        stored=stored, duplicates=len(items) - stored - quarantined, quarantined=quarantined
    )


def _malformed_count(items: Sequence[InboundItem]) -> int:
    return sum(isinstance(item, InboundMalformed) for item in items)


def _verify_envelope(
    provider: ChannelProvider, provider_key: str, request: HttpRequest, keys: Sequence[str]
) -> None:
    """A delivery with nothing to store is acknowledged only when every routed account its
    envelope names verifies it (a forged empty body gets 403, an unknown account 404)."""
    verified = False
    for key in keys:
        routed = webhook_route(provider_key, key)
        if routed is None:
            continue
        with tenant_scope(routed[0]):
            _verify(provider, request, routed[1])
            verified = True
    if not verified:
        raise WebhookUnknown()


def _receive_shared(
    provider: ChannelProvider,
    provider_key: str,
    request: HttpRequest,
    envelope_keys: Sequence[str],
) -> WebhookReceipt:
    # The body names the accounts, so it is parsed (pure, no database) before the connections
    # that verify it are known; nothing is stored unless every involved connection verifies it.
    items = _parse(provider, request.body)
    if not items:  # an event kind the adapter has nothing to say about: verified, acknowledged
        _verify_envelope(provider, provider_key, request, envelope_keys)
        return WebhookReceipt(stored=0, duplicates=0)
    by_key: dict[str, list[InboundItem]] = defaultdict(list)
    for item in items:
        by_key[item.route_key].append(item)
    ignored = len(by_key.pop("", []))
    if len(by_key) == 1:
        # The usual delivery: one account. Its connection comes from the webhook routes'
        # cache and is verified and written in one tenant scope (one ``SET search_path``).
        [(key, group)] = by_key.items()
        routed = webhook_route(provider_key, key)
        if routed is None:
            logger.info("Webhook items for unrouted %s account %s ignored", provider_key, key)
            raise WebhookUnknown()
        tenant, connection = routed
        with (
            _connection_gone_is_unknown(partial(webhook_route_forget, provider_key, key)),
            tenant_scope(tenant),
        ):
            _verify(provider, request, connection)
            with _storing(group):
                stored = _record_for(tenant, connection, group)
        quarantined = _malformed_count(group)
        return WebhookReceipt(
            stored=stored,
            duplicates=len(items) - ignored - stored - quarantined,
            ignored=ignored,
            quarantined=quarantined,
        )
    targets: list[tuple[Tenant, ChannelConnection, list[InboundItem]]] = []
    for key, group in by_key.items():
        routed = webhook_route(provider_key, key)
        if routed is None:
            logger.info("Webhook items for unrouted %s account %s ignored", provider_key, key)
            ignored += len(group)
            continue
        targets.append((routed[0], routed[1], group))
    if not targets:
        raise WebhookUnknown()
    stored = 0
    with _connection_gone_is_unknown(webhook_routes_forget), transaction.atomic():
        for tenant, connection, group in targets:
            with tenant_scope(tenant):
                _verify(provider, request, connection)
                stored += _record_for(tenant, connection, group)
    quarantined = sum(_malformed_count(group) for _, _, group in targets)
    return WebhookReceipt(
        stored=stored,
        duplicates=len(items) - ignored - stored - quarantined,
        ignored=ignored,
        quarantined=quarantined,
    )


# --------------------------------------------------------------------------- processing


def _retry_countdown(attempts: int) -> float:
    delay: float = min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)
    return delay * random.uniform(0.8, 1.2)  # jitter: retries of one outage do not align


def _lock_received(event: InboundEvent, *, claimed: bool = False) -> InboundEvent | None:
    """The event row, locked, if it still waits for processing; None when another worker holds
    it or it is done. A ``claimed`` event was locked by its batch already."""
    if claimed:
        return event
    # of=("self",): lock the event row only. Locking the joined connection row too made every
    # concurrent processing of the same connection skip its event (found by bench/ingest.py:
    # a quarter of the events at 50/s were left unprocessed until the sweeper).
    return (
        InboundEvent.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("connection")
        .filter(pk=event.pk, status=InboundEvent.Status.RECEIVED)
        .first()
    )


def _mark_processed(event: InboundEvent, note: str = "", *, claimed: bool = False) -> None:
    """The event is done; a ``claimed`` one is saved with the rest of its batch."""
    event.status = InboundEvent.Status.PROCESSED
    event.processed_at = timezone.now()
    event.attempts += 1
    event.last_error = note[:500]
    if not claimed:
        event.save(update_fields=["status", "processed_at", "attempts", "last_error", "updated_at"])


def inbound_event_process(*, event_id: int) -> InboundEvent | None:
    """Turn one stored event into its effect (a message, an edit, a deletion, a status).

    Idempotent: an event that is processed, failed, missing, or held by another worker is left
    alone, and the message services are idempotent on the provider message id. A failure is
    recorded on the event and raised as ``InboundRetryLater`` until ``MAX_PROCESS_ATTEMPTS``,
    then the event is marked failed.
    """
    # The connection's routing rides along: a first message reads its queue and greeting.
    event = InboundEvent.objects.select_related("connection__routing").filter(pk=event_id).first()
    if event is None or event.status != InboundEvent.Status.RECEIVED:
        return event
    final = event.attempts + 1 >= MAX_PROCESS_ATTEMPTS
    try:
        item = inbound_item_from_json(event.kind, event.item)
        if event.attempts == 0:
            _acknowledge(event.connection, item)
        if isinstance(item, InboundStatus):
            _process_status(event, item, final=final)
        elif isinstance(item, InboundAccountError):
            _process_account_error(event, item)
        elif isinstance(item, InboundSession):
            _process_session(event, item)
        elif isinstance(item, InboundTemplateStatus):
            _process_template_status(event, item)
        elif isinstance(item, InboundMessage):
            _process_message(event, item, final=final)
    except InboundRetryLater as exc:
        _record_failure(event, exc.reason, final=final)
        if final:
            return event
        raise
    except Exception as exc:
        logger.exception("Inbound event %s failed", event.pk)
        _record_failure(event, f"{type(exc).__name__}: {exc}", final=final)
        if final:
            return event
        raise InboundRetryLater(str(exc), countdown=_retry_countdown(event.attempts)) from exc
    event.refresh_from_db()
    return event


@dataclass
class _BatchReads:
    """What ``inbound_batch_lookups`` read for the batch being processed, handed to its events
    instead of a read of their own."""

    # Provider message ids known not to be stored yet.
    absent: frozenset[str]
    # The customers' identities by external id (their contacts along); None: none stored,
    # answered once (the event that creates it is the last told so).
    identities: dict[str, ContactIdentity | None] = field(default_factory=dict)
    # By contact id: the active ticket on the connection, locked; None for a contact created
    # in the batch. Answered once: the event that gets it writes it.
    tickets: dict[int, Ticket | None] = field(default_factory=dict)

    def identity(self, external_id: str) -> tuple[bool, ContactIdentity | None]:
        """``(read, identity)`` for the contact upsert (its ``identity_read``)."""
        if external_id not in self.identities:
            return False, None
        identity = self.identities[external_id]
        if identity is None:
            del self.identities[external_id]
        return True, identity

    def ticket(self, contact: Contact) -> dict[str, Any]:
        """What ``message_receive`` may take as known about the contact's ticket."""
        if contact.pk not in self.tickets:
            return {}
        ticket = self.tickets.pop(contact.pk)
        return {"ticket_locked": ticket} if ticket is not None else {"contact_new": True}

    def forget(self) -> None:
        """An event failed and its savepoint rolls back: the rows it may have written (and the
        instances here it changed) are no longer what was read, so the rest of the batch reads
        its own. Its provider id stays absent (its insert is rolled back)."""
        self.identities.clear()
        self.tickets.clear()


# The reads of the batch being processed (see ``inbound_batch_lookups``); None outside a batch.
_batch_reads: ContextVar[_BatchReads | None] = ContextVar("inbound_batch_reads", default=None)


@contextmanager
def inbound_batch_lookups(
    connection: ChannelConnection, events: Sequence[InboundEvent]
) -> Iterator[None]:
    """Around the processing of a batch's ``events`` (claimed, in the batch's transaction):
    what their events would each read, read once for all of them (a statement each):

    - which of their messages' provider ids the connection has not stored yet
      (``_message_by_provider_id``). Only an id that one event of the batch carries is
      answered from it: the batch's own events are the only writers of the conversation
      (``inbound_batches``), so an id read as absent here and carried by no other event of the
      batch is still absent when its event runs. An id two events carry (a redelivery) is
      looked up by each event, as outside a batch, so the second finds what the first stored.
      A single-event task storing the same id meanwhile hits the unique provider id and fails
      this event alone, as before;
    - the customers' identities and contacts (the contact upsert's read), and their active
      tickets on the connection, locked in id order (``ticket_open_or_reuse``'s locked read;
      an agent's change of the ticket waits for the batch, as it waited for the event). A
      ticket is handed to the first event that asks for it, which writes it; a later event of
      it reads it again. A customer without an active ticket reads it too (one could be
      opened meanwhile), except one created in the batch. Not for connections whose threads
      cross senders (e-mail): a message may land on another customer's ticket there.
      An identity that another transaction stores meanwhile (the same customer writing to
      another of the tenant's numbers at the same moment) fails its event's insert alone, and
      its retry finds it.

    When an event fails, the rest of the batch reads its own (``_BatchReads.forget``)."""
    carried = Counter(
        str(event.item.get("provider_message_id") or "")
        for event in events
        if event.kind == InboundEvent.Kind.MESSAGE
    )
    once = [key for key, count in carried.items() if key and count == 1]
    stored = (
        set(
            Message.objects.filter(connection=connection, provider_message_id__in=once).values_list(
                "provider_message_id", flat=True
            )
        )
        if once
        else set()
    )
    reads = _BatchReads(absent=frozenset(once) - stored)
    if not provider_for(connection.provider).threads_by_headers:
        senders = {
            str(event.item["external_id"])
            for event in events
            if event.kind == InboundEvent.Kind.MESSAGE
            and event.item.get("external_id")
            and not event.item.get("is_edit")
            and not event.item.get("is_deletion")
        }
        if senders:
            reads.identities = dict.fromkeys(senders)
            identities = ContactIdentity.objects.select_related("contact").filter(
                provider=connection.provider, external_id__in=sorted(senders)
            )
            for identity in identities:
                reads.identities[identity.external_id] = identity
            contact_ids = sorted(
                {identity.contact_id for identity in reads.identities.values() if identity}
            )
            reads.tickets = dict(
                tickets_active_locked(connection=connection, contact_ids=contact_ids)
            )
    token = _batch_reads.set(reads)
    try:
        yield
    finally:
        _batch_reads.reset(token)


def inbound_event_apply(event: InboundEvent) -> None:
    """Process an event its batch has claimed (row locked, first attempt, a status or a message
    without a file: ``inbound_item_batchable``) inside the batch's transaction. The event is
    left marked processed, unsaved (the batch saves its events together); a failure raises,
    ``InboundRetryLater`` when it asks for a delay."""
    try:
        item = inbound_item_from_json(event.kind, event.item)
        _acknowledge(event.connection, item)
        if isinstance(item, InboundStatus):
            _process_status(event, item, final=False, claimed=True)
        elif isinstance(item, InboundMessage) and inbound_item_batchable(item):
            _process_message(event, item, final=False, claimed=True)
        else:
            raise ValueError(f"inbound event {event.pk} ({event.kind}) is not processed in batches")
    except BaseException:
        reads = _batch_reads.get()
        if reads is not None:
            reads.forget()
        raise


def inbound_retry_countdown(attempts: int) -> float:
    """Seconds before the next attempt of an event that failed ``attempts`` times (jittered)."""
    return _retry_countdown(attempts)


def _acknowledge(connection: ChannelConnection, item: InboundItem) -> None:
    """The provider's receipt of the item, if it waits for one (best effort, never retried:
    Telegram refuses to answer a callback query twice or late)."""
    try:
        provider_for(connection.provider).inbound_acknowledge(connection, item)
    except ProviderError as exc:
        logger.warning("Acknowledging an item of connection %s failed: %s", connection.pk, exc)


def _record_failure(event: InboundEvent, reason: str, *, final: bool) -> None:
    event.attempts += 1
    event.last_error = reason[:500]
    if final:
        event.status = InboundEvent.Status.FAILED
    InboundEvent.objects.filter(pk=event.pk, status=InboundEvent.Status.RECEIVED).update(
        attempts=event.attempts,
        last_error=event.last_error,
        status=event.status,
        updated_at=timezone.now(),
    )


def _error_reason(connection: ChannelConnection, code: str, detail: str) -> str:
    """The provider's readable reason for an error it reported, in the platform's language
    (stored, as the outbound pipeline stores the reasons of the errors it meets)."""
    with translation.override(settings.LANGUAGE_CODE):
        return provider_for(connection.provider).error_reason(code, detail)


def _process_account_error(event: InboundEvent, item: InboundAccountError) -> None:
    with transaction.atomic():
        locked = _lock_received(event)
        if locked is None:
            return
        connection_error_report(
            connection=locked.connection,
            detail=_error_reason(locked.connection, item.error_code, item.error_detail),
        )
        _mark_processed(locked)


def _process_session(event: InboundEvent, item: InboundSession) -> None:
    """A QR-code connection's session changed (or its gateway offers a new QR code). The QR
    code is not kept with the event once shown (``channels_integrations.services.sessions``)."""
    with transaction.atomic():
        locked = _lock_received(event)
        if locked is None:
            return
        connection_session_update(connection=locked.connection, item=item)
        if item.qr_image:
            locked.item = {**locked.item, "qr_image": "", "pairing_code": ""}
            locked.save(update_fields=["item", "updated_at"])
        _mark_processed(locked)


def _process_template_status(event: InboundEvent, item: InboundTemplateStatus) -> None:
    """A message template of the connection's business account was reviewed or changed."""
    with transaction.atomic():
        locked = _lock_received(event)
        if locked is None:
            return
        template_status_apply(connection=locked.connection, item=item)
        _mark_processed(locked)


def _process_status(
    event: InboundEvent, item: InboundStatus, *, final: bool, claimed: bool = False
) -> None:
    with transaction.atomic(savepoint=not claimed):
        locked = _lock_received(event, claimed=claimed)
        if locked is None:
            return
        mark = partial(_mark_processed, claimed=claimed)
        if not item.provider_message_id:  # a watermark: every message up to a moment
            changed = message_status_watermark(
                connection=locked.connection,
                external_id=item.external_id,
                status=item.status,
                at=item.at or timezone.now(),
            )
            mark(locked, "" if changed else "nothing_to_update")
            return
        error_detail = item.error_detail
        if item.status == Message.Status.FAILED and item.error_code:
            error_detail = _error_reason(locked.connection, item.error_code, error_detail)
        message = message_status_update(
            connection=locked.connection,
            provider_message_id=item.provider_message_id,
            status=item.status,
            at=item.at,
            error_code=item.error_code,
            error_detail=error_detail,
        )
        if message is None:
            # Not a ticket message's: a bulk send's (campaigns) may be, which keeps its own.
            # Told now: the retry below rolls this transaction back.
            publish_now(
                OutboundStatusUnmatched(
                    connection_id=locked.connection_id,
                    provider_message_id=item.provider_message_id,
                    status=item.status,
                )
            )
        if message is None and not final:
            # A status can overtake the send call that stores the provider id: try later.
            raise InboundRetryLater(
                "unknown_message", countdown=_retry_countdown(event.attempts + 1)
            )
        mark(locked, "" if message is not None else "unknown_message")


@dataclass(frozen=True)
class _FetchedMedia:
    file: ContentFile[bytes] | None = None
    name: str = ""
    mime: str = ""
    error: str = ""
    detail: dict[str, Any] | None = None


def _media_extension(mime: str) -> str:
    if not mime:
        return ""
    return mimetypes.guess_extension(mime) or ""


def _media_fetch(
    provider: ChannelProvider,
    connection: ChannelConnection,
    item: InboundMessage,
    media: InboundMedia,
    *,
    final: bool,
) -> _FetchedMedia:
    """Download a file within the limits; a refused file becomes a media error, never a lost
    message. A temporary provider error is retried unless this is the final attempt."""
    max_bytes = settings.CHANNEL_MEDIA_MAX_BYTES
    declared = media.mime_type.split(";")[0].strip().lower()
    if media.size is not None and media.size > max_bytes:
        return _FetchedMedia(
            mime=declared,
            error=MEDIA_TOO_LARGE,
            detail={"size": media.size, "max_bytes": max_bytes},
        )
    try:
        content, mime = provider.download_media(connection, media, max_bytes=max_bytes)
    except ProviderError as exc:
        if exc.code == MEDIA_TOO_LARGE:
            return _FetchedMedia(
                mime=declared, error=MEDIA_TOO_LARGE, detail={"max_bytes": max_bytes}
            )
        if not exc.permanent and not final:
            raise InboundRetryLater(
                f"media download: {exc.detail}", countdown=exc.retry_after or 30
            ) from exc
        return _FetchedMedia(
            mime=declared, error=MEDIA_DOWNLOAD_FAILED, detail={"reason": exc.detail}
        )
    mime = (mime or declared).split(";")[0].strip().lower()
    name = media.filename or f"{item.kind}{_media_extension(mime)}"
    if len(content) > max_bytes:
        return _FetchedMedia(
            mime=mime, error=MEDIA_TOO_LARGE, detail={"size": len(content), "max_bytes": max_bytes}
        )
    try:
        info = media_validate(file=ContentFile(content, name=name), name=name, mime=mime)
    except (MediaTooLarge, MediaTypeNotAllowed) as exc:
        return _FetchedMedia(mime=mime, error=exc.code, detail=exc.extra)
    # The sender's own file name is kept for display and download; the stored path is made
    # safe when the file is saved (tickets.services.messages).
    return _FetchedMedia(file=ContentFile(content, name=info.name), name=name, mime=info.mime)


def _message_by_provider_id(
    connection: ChannelConnection, provider_message_id: str, *, claimed: bool = False
) -> Message | None:
    if not provider_message_id:
        return None
    reads = _batch_reads.get() if claimed else None
    if reads is not None and provider_message_id in reads.absent:
        return None  # read for the whole batch (``inbound_batch_lookups``)
    return Message.objects.filter(
        connection=connection, provider_message_id=provider_message_id
    ).first()


def _send_in_flight(connection: ChannelConnection, external_id: str) -> bool:
    """Whether one of our messages to this customer is being sent right now (its delivery is
    claimed by a worker): its provider id is not stored yet, so its echo is not recognisable."""
    return OutboundDelivery.objects.filter(
        connection=connection,
        status=OutboundDelivery.Status.PENDING,
        locked_until__gt=timezone.now(),
        message__ticket__contact__identities__provider=connection.provider,
        message__ticket__contact__identities__external_id=external_id,
    ).exists()


def _process_echo(event: InboundEvent, item: InboundMessage, *, final: bool) -> None:
    """A message the business sent to the customer: ours (recognised by its provider id) or
    sent from another tool, then stored as an outbound message of the business."""
    connection = event.connection
    # In-flight first: a send that commits its provider id between the two checks is then
    # found by the second. A send still in flight after every attempt is most likely the one
    # echoed: nothing is stored rather than a second copy of it.
    in_flight = _send_in_flight(connection, item.external_id)
    if in_flight and not final:
        raise InboundRetryLater("echo_of_a_send_in_flight", countdown=_retry_countdown(1))
    if in_flight or _message_by_provider_id(connection, item.provider_message_id) is not None:
        with transaction.atomic():
            locked = _lock_received(event)
            if locked is not None:
                _mark_processed(locked, "echo_of_a_send_in_flight" if in_flight else "own_message")
        return
    fetched = _FetchedMedia()
    if item.media is not None:
        fetched = _media_fetch(
            provider_for(connection.provider), connection, item, item.media, final=final
        )
    contact = Contact.objects.filter(
        identities__provider=connection.provider, identities__external_id=item.external_id
    ).first()
    with transaction.atomic():
        locked = _lock_received(event)
        if locked is None:
            return
        message = None
        if contact is not None:
            message, _ = message_record_sent_elsewhere(
                sent=_received(connection, contact, item, fetched)
            )
        _mark_processed(locked, "" if message is not None else "no_ticket")


def _received(
    connection: ChannelConnection,
    contact: Contact,
    item: InboundMessage,
    fetched: _FetchedMedia,
    *,
    checked_absent: bool = False,
    ticket_locked: Ticket | None = None,
    contact_new: bool = False,
) -> ReceivedMessage:
    payload: dict[str, Any] = dict(item.extra)
    if item.kind == Message.Kind.UNSUPPORTED:
        payload["raw"] = item.raw
    if item.kind == Message.Kind.REACTION and item.quoted_provider_message_id:
        # Kept even when the reacted message is not stored here: its removal finds it by this.
        payload["reacted_provider_message_id"] = item.quoted_provider_message_id
    if fetched.error:
        payload["media_error"] = {"code": fetched.error, **(fetched.detail or {})}
    thread_ids: tuple[str, ...] = ()
    thread_protocol = ""
    email = item.extra.get("email")
    if provider_for(connection.provider).threads_by_headers and isinstance(email, dict):
        # The messages this one answers, newest first, and the ticket protocol it names.
        named = [email.get("in_reply_to"), *reversed(email.get("references") or [])]
        thread_ids = tuple(str(ref) for ref in named if ref)
        thread_protocol = str(email.get("thread_token") or "")
    return ReceivedMessage(
        connection=connection,
        contact=contact,
        kind=item.kind,
        body=item.body,
        provider_message_id=item.provider_message_id or None,
        media=fetched.file,
        media_name=fetched.name or (item.media.filename if item.media else ""),
        media_mime=fetched.mime,
        media_error=fetched.error,
        payload=payload,
        quoted_provider_id=item.quoted_provider_message_id or None,
        at=item.sent_at,
        thread_provider_ids=thread_ids,
        thread_protocol=thread_protocol,
        checked_absent=checked_absent,
        ticket_locked=ticket_locked,
        contact_new=contact_new,
    )


def _contact_profile(
    provider: ChannelProvider, connection: ChannelConnection, item: InboundMessage
) -> ContactProfile | None:
    """The customer's profile from the provider's profile API, for providers whose webhooks
    carry no name (Messenger, Instagram): asked at most once per customer and connection in
    ``CONTACT_PROFILE_REFRESH_SECONDS`` (a day), whatever the answer; None when not asked or
    refused (the contact keeps its readable placeholder name)."""
    if not (provider.unnamed_contact or item.is_group) or item.contact_name:
        return None
    key = f"contact-profile:{connection.pk}:{item.external_id}"
    if not cache.add(key, 1, CONTACT_PROFILE_REFRESH_SECONDS):
        return None
    try:
        return provider.contact_profile(connection, item.external_id)
    except ProviderError as exc:
        logger.info("No profile for %s contact %s: %s", connection.provider, item.external_id, exc)
        return None


def _unnamed_contact(provider: ChannelProvider, item: InboundMessage) -> str:
    """The readable name of a customer the provider does not name ("Instagram user 1234"), or
    of a group ("WhatsApp group 1234"), in the tenant's language: it is stored as the contact's
    name until the profile is known."""
    template = provider.unnamed_group if item.is_group else provider.unnamed_contact
    if not template:
        return ""
    digits = item.external_id.split("@", 1)[0]
    with translation.override(getattr(current_tenant(), "language", settings.LANGUAGE_CODE)):
        return str(template) % {"id": digits[-4:]}


def _process_message(
    event: InboundEvent, item: InboundMessage, *, final: bool, claimed: bool = False
) -> None:
    if item.is_group and tenant_setting("ignore_group_messages"):
        # Acknowledged and kept as an event, but no group ticket (the tenant's choice).
        with transaction.atomic(savepoint=not claimed):
            locked = _lock_received(event, claimed=claimed)
            if locked is not None:
                _mark_processed(locked, "group_ignored", claimed=claimed)
        return
    if item.is_echo:
        _process_echo(event, item, final=final)
        return
    connection = event.connection
    provider = provider_for(connection.provider)
    existing = _message_by_provider_id(connection, item.provider_message_id, claimed=claimed)
    new_message = existing is None and not item.is_deletion
    # A message stored while its file was still downloading: this attempt fetches the file.
    waiting = (
        existing is not None
        and existing.media_error == MEDIA_LOADING
        and item.media is not None
        and not item.is_deletion
    )
    fetched = _FetchedMedia()
    retry: InboundRetryLater | None = None
    if (
        (new_message or waiting)
        and item.media is not None
        and not _sender_blocked(connection, item)
    ):
        # Downloaded before the transaction: no row lock is held across the network call.
        try:
            fetched = _media_fetch(provider, connection, item, item.media, final=final)
        except InboundRetryLater as exc:
            # The message is shown now, "loading", and the file fills in on a later attempt.
            retry = exc
            fetched = _FetchedMedia(
                mime=item.media.mime_type.split(";")[0].strip().lower(),
                error=MEDIA_LOADING,
                detail={"reason": exc.reason},
            )
    profile = _contact_profile(provider, connection, item) if new_message else None
    mark = partial(_mark_processed, claimed=claimed)
    with transaction.atomic(savepoint=not claimed):
        locked = _lock_received(event, claimed=claimed)
        if locked is None:
            return
        if waiting and existing is not None:
            if retry is None:
                message_media_fill(
                    message=existing,
                    media=fetched.file,
                    media_name=fetched.name or (item.media.filename if item.media else ""),
                    media_mime=fetched.mime,
                    media_error=fetched.error,
                    media_error_detail=fetched.detail,
                )
                mark(locked)
        elif item.is_deletion:
            if existing is not None:
                message_delete_by_contact(message=existing, at=item.sent_at)
            mark(locked, "" if existing is not None else "unknown_message")
        elif item.is_edit and existing is not None:
            message_edit_by_contact(message=existing, body=item.body, at=item.sent_at)
            mark(locked)
        else:
            reads = _batch_reads.get() if claimed else None
            identity_read, identity = (
                reads.identity(item.external_id) if reads is not None else (False, None)
            )
            contact, contact_created = contact_upsert_from_identity(
                provider=connection.provider,
                external_id=item.external_id,
                name=item.contact_name or (profile.name if profile else ""),
                phone=item.contact_phone or None,
                unnamed=_unnamed_contact(provider, item),
                is_group=item.is_group,
                identity_read=identity_read,
                identity=identity,
            )
            if reads is not None and contact_created:
                reads.tickets[contact.pk] = None
            if contact.is_blocked:
                _blocked_message_keep(locked, contact, item)
                mark(locked, "contact_blocked")
                return
            if _is_reaction_removal(item):
                removed = message_reaction_remove_by_contact(
                    connection=connection,
                    contact=contact,
                    reacted_provider_id=item.quoted_provider_message_id,
                    at=item.sent_at,
                )
                mark(locked, "" if removed is not None else "unknown_message")
                return
            # In a batch, ``existing`` was read in the batch's transaction: no second look.
            checked = claimed and existing is None
            known = reads.ticket(contact) if reads is not None else {}
            message_receive(
                received=_received(
                    connection, contact, item, fetched, checked_absent=checked, **known
                )
            )
            contact_avatar_enqueue(
                provider=provider,
                connection=connection,
                contact=contact,
                external_id=item.external_id,
                picture_url=profile.avatar_url if profile else "",
            )
            if retry is None:
                mark(locked)
    if retry is not None:
        raise retry


def _is_reaction_removal(item: InboundMessage) -> bool:
    """WhatsApp removes a reaction with an empty emoji, Messenger and Instagram with
    ``unreact``: nothing to show, the earlier reaction goes."""
    return item.kind == Message.Kind.REACTION and item.extra.get("action") == "unreact"


def _sender_blocked(connection: ChannelConnection, item: InboundMessage) -> bool:
    """The sender is a known, blocked contact (their files are described, not downloaded)."""
    return ContactIdentity.objects.filter(
        provider=connection.provider, external_id=item.external_id, contact__is_blocked=True
    ).exists()


def _blocked_message_keep(event: InboundEvent, contact: Contact, item: InboundMessage) -> None:
    """A blocked contact's message: kept for audit on the contact, on no ticket (so no
    greeting, bot or notification follows)."""
    BlockedMessage.objects.get_or_create(
        event=event,
        defaults={
            "contact": contact,
            "connection": event.connection,
            "kind": item.kind,
            "body": item.body,
            "media_name": (item.media.filename if item.media else "")[:255],
            "received_at": item.sent_at or timezone.now(),
        },
    )


# --------------------------------------------------------------------------- sweeping


def inbound_events_sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Re-enqueue the current tenant's events still waiting after CHANNEL_SWEEP_AFTER_MINUTES
    (their task was lost, e.g. in a broker outage); returns how many."""
    from channels_integrations.tasks import inbound_event_process_task

    cutoff = (now or timezone.now()) - timedelta(minutes=settings.CHANNEL_SWEEP_AFTER_MINUTES)
    waiting = list(
        InboundEvent.objects.filter(
            status=InboundEvent.Status.RECEIVED, created_at__lt=cutoff, updated_at__lt=cutoff
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in waiting:
        inbound_event_process_task.apply_async(args=(event_id,), queue="inbound")
    return len(waiting)
