"""Inbound events processed in batches, one connection at a time.

The webhook stores its events and publishes at most one task per connection while one waits
(``inbound_batch_enqueue``: a tenant-scoped cache flag, cleared when the task starts), so the
acknowledgement costs one insert and, usually, no publish at all. The task
(``inbound_batches_process``) then takes the connection's waiting events in batches:

- one transaction per batch, under a transaction-level advisory lock of the connection, so two
  workers never process one connection's events at the same time and a ticket's messages are
  stored in the order they arrived (by event id);
- the batch's events are claimed with ``FOR UPDATE SKIP LOCKED`` (a single-event task of the
  sweeper skips them), each processed in its own savepoint: a poison event is rolled back
  alone, recorded as a failed attempt and handed to the single-event task with a back-off,
  and the rest of the batch commits; inside it the contact upsert, ``ticket_open_or_reuse``
  and ``message_receive`` open no savepoints of their own (``core.savepoints``);
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
from functools import partial

from django.core.cache import cache
from django.db import connection as db
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from channels_integrations.models import InboundEvent
from channels_integrations.services.inbound import (
    InboundRetryLater,
    inbound_event_apply,
    inbound_retry_countdown,
)
from core.event_bus import publishing_together
from core.savepoints import caller_savepoint
from tenants.models import Tenant
from tenants.tenancy import current_schema, current_tenant, tenant_scope

logger = logging.getLogger(__name__)

# Events per transaction: large enough that a batch's fixed costs (lock, claim, commit, the
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
    were processed (failed attempts excluded)."""
    # Cleared before the first claim: an event stored after this publishes a new task, and
    # one stored before it is seen by the claims below.
    cache.delete(_queued_key(connection_id))
    processed = 0
    for _ in range(max_batches):
        claimed, done = inbound_batch_process(connection_id=connection_id, limit=batch_size)
        processed += done
        if claimed < batch_size:
            return processed
    inbound_batch_enqueue(current_tenant(), connection_id)  # more wait: a fresh task goes on
    return processed


def inbound_batch_process(
    *, connection_id: int, limit: int = INBOUND_BATCH_SIZE
) -> tuple[int, int]:
    """One batch of the connection's waiting events, in one transaction; ``(claimed,
    processed)``."""
    with transaction.atomic():
        with db.cursor() as cursor:
            # Per tenant and connection (advisory locks are per database, ids per schema).
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [current_schema(), connection_id]
            )
        events = list(
            InboundEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connection__routing")
            .filter(
                _BATCHABLE,
                connection_id=connection_id,
                status=InboundEvent.Status.RECEIVED,
                attempts=0,
            )
            .order_by("id")[:limit]
        )
        retries: list[tuple[int, float]] = []
        with publishing_together():  # the batch's domain events, delivered after its commit
            for event in events:
                failure = _apply(event)
                if failure is not None:
                    retries.append((event.pk, failure))
        now = timezone.now()
        for event in events:
            event.updated_at = now
        InboundEvent.objects.bulk_update(
            events, ["status", "processed_at", "attempts", "last_error", "updated_at"]
        )
        if retries:
            transaction.on_commit(partial(_retries_enqueue, retries), robust=True)
    return len(events), len(events) - len(retries)


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
