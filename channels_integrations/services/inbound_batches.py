"""Inbound events processed in batches, several workers per connection, one at a time per
conversation.

The webhook stores its events and publishes at most one task per connection while one waits
(``inbound_batch_enqueue``: a tenant-scoped cache flag, cleared when the task starts), so the
acknowledgement costs one insert and, usually, no publish at all. A task that starts clears the
flag, so the next webhook publishes another: while a connection has a backlog, every inbound
worker process holds one of its tasks. Each task (``inbound_batches_process``) takes the
connection's waiting events in batches:

- one transaction per batch; its events are claimed with ``FOR UPDATE SKIP LOCKED`` in event-id
  order, so two workers claim disjoint batches (and a single-event task of the sweeper skips
  them);
- a conversation (the customer, or the group, that decides the contact and the ticket: the
  item's ``external_id``; the whole connection for e-mail, whose threads cross senders) is
  processed in event-id order by one batch at a time. Right after the claim one statement reads
  the connection's waiting first attempts that are not the batch's own, earlier than its last
  event: an event of the batch with an earlier one of its conversation among them is *deferred*
  (left waiting, untouched, until the batch commits), the others are processed. Any such earlier
  event is either committed by another batch already (no longer waiting, its message stored
  before) or still held by it (then it shows as waiting: the batch's own read comes after its
  claim, so a claim racing ahead of an earlier batch's commit is seen), hence a ticket's
  messages are stored in event-id order and no two batches write one conversation at once. No
  conversation lock is held while waiting, so no deadlock: a batch that could process nothing
  commits, waits for its earliest blocking event's row lock outside any transaction (the
  earliest waiting event is never blocked, so the waits form no cycle) and claims again;
- each event is processed in its own savepoint: a poison event is rolled back alone, recorded
  as a failed attempt and handed to the single-event task with a back-off, and the rest of the
  batch commits; inside it the contact upsert, ``ticket_open_or_reuse`` and ``message_receive``
  open no savepoints of their own (``core.savepoints``);
- the events are marked processed by one statement at the end, and the domain events of the
  whole batch are delivered together after its one commit (``publishing_together``): their
  subscribers read the batch's rows once (the live events' tickets and messages, the webhook
  subscriptions, the chatbot's gate) and publish one task per batch where the task takes a
  list (distribution, the reports' rollup, out-of-hours notices, campaign replies);
- a worker killed mid-batch commits nothing: the broker hands the task out again (acks late,
  reject on worker lost) and the batch is processed from the start, so nothing is lost and
  nothing doubled.

Only first attempts of statuses and of customers' messages without a file are batched
(``inbound_item_batchable``): a download must not hold the batch's locks, and echoes wait for
sends in flight. Everything else, and every retry, keeps the single-event task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from django.core.cache import cache
from django.db import connection as db
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from channels_integrations.models import InboundEvent
from channels_integrations.providers.registry import provider_for
from channels_integrations.services.inbound import (
    InboundRetryLater,
    inbound_batch_lookups,
    inbound_event_apply,
    inbound_retry_countdown,
)
from core.event_bus import publishing_together
from core.savepoints import caller_savepoint
from tenants.models import Tenant
from tenants.tenancy import current_tenant, tenant_scope

logger = logging.getLogger(__name__)

# Events per transaction: large enough that a batch's fixed costs (claim, check, commit, the
# final update) vanish per event, small enough that a batch commits within a fraction of a
# second and its realtime envelopes are not held back (bench/ingest.py).
INBOUND_BATCH_SIZE = 50
# Batches one task processes before it hands the rest to a fresh task (a task never runs
# for long, and other connections' tasks get their turn).
INBOUND_BATCHES_PER_TASK = 20
# How long the "a task is queued" flag lives: if its task is lost, the next webhook after
# that publishes another, and the sweeper catches up with events nobody announces.
QUEUED_FLAG_SECONDS = 30

_BATCHABLE = Q(kind=InboundEvent.Kind.STATUS) | Q(
    kind=InboundEvent.Kind.MESSAGE, item__media=None, item__is_echo=False
)
_WAITING = {"status": InboundEvent.Status.RECEIVED, "attempts": 0}


@dataclass(frozen=True)
class _Batch:
    claimed: int
    processed: int  # failed attempts and deferred events excluded
    deferred: int
    # The earliest waiting event (another batch's, or a single-event task's) that kept this
    # batch from processing anything, when that was the case.
    blocker: int | None = None


def _queued_key(connection_id: int) -> str:
    # The cache's key function prefixes the current schema: tenants never share a flag.
    return f"inbound-batch-queued:{connection_id}"


def inbound_batch_enqueue(tenant: Tenant, connection_id: int) -> None:
    """Publish the task of the connection's batches unless one is already waiting.

    A suspended tenant's events stay stored and are picked up by the sweeper once it is
    resumed. A broker failure clears the flag again and is raised (the robust on-commit
    logs it; the sweeper catches up)."""
    from channels_integrations.tasks import inbound_batches_process_task

    if not tenant.is_active:
        return
    with tenant_scope(tenant):
        key = _queued_key(connection_id)
        if not cache.add(key, 1, QUEUED_FLAG_SECONDS):
            return
        try:
            inbound_batches_process_task.apply_async(args=(connection_id,), queue="inbound")
        except Exception:
            cache.delete(key)
            raise


def inbound_batches_process(
    *,
    connection_id: int,
    batch_size: int = INBOUND_BATCH_SIZE,
    max_batches: int = INBOUND_BATCHES_PER_TASK,
) -> int:
    """Process the connection's waiting batchable events, batch after batch; returns how many
    were processed (failed attempts excluded).

    Ends when a batch claims less than a full batch and defers nothing: a deferred event is
    claimed again by this task, once the batch that blocked it has committed, so none is left
    waiting for the sweeper."""
    # Cleared before the first claim: an event stored after this publishes a new task, and
    # one stored before it is seen by the claims below.
    cache.delete(_queued_key(connection_id))
    processed = 0
    for _ in range(max_batches):
        batch = _batch_process(connection_id=connection_id, limit=batch_size)
        processed += batch.processed
        if batch.blocker is not None:
            _wait_for(batch.blocker)
        elif batch.claimed < batch_size and not batch.deferred:
            return processed
    inbound_batch_enqueue(current_tenant(), connection_id)  # more wait: a fresh task goes on
    return processed


def inbound_batch_process(
    *, connection_id: int, limit: int = INBOUND_BATCH_SIZE
) -> tuple[int, int]:
    """One batch of the connection's waiting events, in one transaction; ``(claimed,
    processed)``: deferred events (see the module doc) are claimed, not processed."""
    batch = _batch_process(connection_id=connection_id, limit=limit)
    return batch.claimed, batch.processed


def _batch_process(*, connection_id: int, limit: int) -> _Batch:
    with transaction.atomic():
        events = list(
            InboundEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connection__routing")
            .filter(_BATCHABLE, connection_id=connection_id, **_WAITING)
            .order_by("id")[:limit]
        )
        if not events:
            return _Batch(claimed=0, processed=0, deferred=0)
        ready, deferred, blocker = _ready(events)
        retries: list[tuple[int, float]] = []
        with publishing_together(), inbound_batch_lookups(events[0].connection, ready):
            # The batch's domain events are delivered after its commit.
            for event in ready:
                failure = _apply(event)
                if failure is not None:
                    retries.append((event.pk, failure))
        _events_save(ready)
        if retries:
            transaction.on_commit(partial(_retries_enqueue, retries), robust=True)
    return _Batch(
        claimed=len(events),
        processed=len(ready) - len(retries),
        deferred=deferred,
        blocker=blocker if not ready else None,
    )


# The batch's events as their processing left them, in one statement: each row's values come
# in as arrays (``bulk_update`` built a CASE per column and row, which cost more CPU to build
# than the rest of the batch's end).
_EVENTS_SAVE = """
    UPDATE {table} AS event
    SET status = saved.status, processed_at = saved.processed_at,
        attempts = saved.attempts, last_error = saved.last_error, updated_at = %s
    FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::integer[], %s::text[])
        AS saved (id, status, processed_at, attempts, last_error)
    WHERE event.id = saved.id
"""


def _events_save(events: list[InboundEvent]) -> None:
    """Store the status, processing time, attempts and last error of the batch's events."""
    if not events:
        return
    now = timezone.now()
    for event in events:
        event.updated_at = now
    with db.cursor() as cursor:
        cursor.execute(
            _EVENTS_SAVE.format(table=db.ops.quote_name(InboundEvent._meta.db_table)),
            [
                now,
                [event.pk for event in events],
                [event.status for event in events],
                [event.processed_at for event in events],
                [event.attempts for event in events],
                [event.last_error for event in events],
            ],
        )


def _conversation(event: InboundEvent, *, per_sender: bool) -> str:
    """The key that decides the event's contact and ticket: the customer's (or the group's)
    id on the provider; one key for the whole connection when threads cross senders."""
    return str(event.item.get("external_id") or "") if per_sender else ""


def _ready(events: list[InboundEvent]) -> tuple[list[InboundEvent], int, int | None]:
    """The claimed events that may be processed now, in id order, how many are deferred, and
    the earliest event that blocks them (see the module doc)."""
    connection = events[0].connection
    per_sender = not provider_for(connection.provider).threads_by_headers
    # Waiting first attempts earlier than the batch's last event that the batch does not hold:
    # another batch's (being processed, or committed after this read's snapshot began) or a
    # single-event task's. Read after the claim, so a batch that claimed earlier and has not
    # committed shows here.
    others = (
        InboundEvent.objects.filter(
            _BATCHABLE, connection_id=connection.pk, pk__lt=events[-1].pk, **_WAITING
        )
        .exclude(pk__in=[event.pk for event in events])
        .order_by("id")
        .values_list("pk", "item__external_id")
    )
    first_waiting: dict[str, int] = {}
    for pk, external_id in others:
        key = str(external_id or "") if per_sender else ""
        first_waiting.setdefault(key, pk)
    if not first_waiting:
        return events, 0, None
    ready: list[InboundEvent] = []
    blockers: list[int] = []
    for event in events:
        earlier = first_waiting.get(_conversation(event, per_sender=per_sender))
        if earlier is not None and earlier < event.pk:
            blockers.append(earlier)
        else:
            ready.append(event)
    return ready, len(events) - len(ready), min(blockers, default=None)


def _wait_for(event_id: int) -> None:
    """Wait, outside the batch's transaction (the worker runs in autocommit: the lock goes with
    the statement), until the batch or task that holds the event has committed."""
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {InboundEvent._meta.db_table} WHERE id = %s FOR KEY SHARE",  # noqa: S608
            [event_id],
        )


def _apply(event: InboundEvent) -> float | None:
    """Process one claimed event in its own savepoint; on failure, the event is left waiting
    with one failed attempt recorded, and the seconds before its retry are returned."""
    try:
        with transaction.atomic(), caller_savepoint():
            inbound_event_apply(event)
    except InboundRetryLater as exc:
        reason, countdown = exc.reason, exc.countdown
    except Exception as exc:
        logger.exception("Inbound event %s failed in its batch", event.pk)
        reason, countdown = f"{type(exc).__name__}: {exc}", inbound_retry_countdown(1)
    else:
        return None
    event.status = InboundEvent.Status.RECEIVED
    event.processed_at = None
    event.attempts = 1
    event.last_error = reason[:500]
    return countdown


def _retries_enqueue(retries: list[tuple[int, float]]) -> None:
    """Hand the batch's failed events to the single-event task, each after its back-off."""
    from channels_integrations.tasks import inbound_event_process_task

    for event_id, countdown in retries:
        inbound_event_process_task.apply_async(
            args=(event_id,), countdown=countdown, queue="inbound"
        )
