"""Agents' edits and deletions of sent messages, on their way to the customer's copy.

``message_edit``/``message_delete`` (tickets) publish ``MessageChangeRequested`` when the
channel already has the message and its provider declares it can change it; the subscriber
calls ``outbound_change_create``, which stores an ``OutboundChange`` with its idempotency key
and enqueues ``outbound_change_deliver_task`` on the ``replies`` queue after commit. The task
calls ``outbound_change_deliver``: like a delivery, it waits for a slot of the connection's rate
limit, claims the row with a conditional update, asks the provider, and retries temporary
errors with back-off (bounded by ``OUTBOUND_MAX_ATTEMPTS``). The outcome is written on the
message (``message_customer_copy_record``): the panel says whether the customer's copy changed.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_integrations.models import OutboundChange
from channels_integrations.providers.base import ProviderError, SentMessageChange
from channels_integrations.providers.registry import PROVIDERS, provider_for
from channels_integrations.services.outbound import (
    SKIPPED,
    DeliveryOutcome,
    delivery_backoff,
    delivery_slot_wait,
    message_recipient,
    provider_call_claim,
    provider_calls_overdue,
)
from tickets.models import Message
from tickets.services.messages import message_customer_copy_record

logger = logging.getLogger(__name__)


def _enqueue_change(change_id: int) -> None:
    from channels_integrations.tasks import outbound_change_deliver_task

    outbound_change_deliver_task.apply_async(args=(change_id,), queue="replies")


def outbound_change_create(
    *, message_id: int, change: str, body: str = ""
) -> OutboundChange | None:
    """Store the change of a sent message and enqueue it after commit; None when the message
    is gone, was never accepted by the channel, or its provider is not installed here."""
    message = Message.objects.select_related("connection").filter(pk=message_id).first()
    if (
        message is None
        or message.provider_message_id is None
        or message.connection.provider not in PROVIDERS
        or change not in OutboundChange.Kind.values
    ):
        return None
    with transaction.atomic():
        row = OutboundChange.objects.create(
            message=message,
            connection=message.connection,
            kind=change,
            body=body,
            idempotency_key=f"{change}-{uuid.uuid4().hex}",
            next_attempt_at=timezone.now(),
        )
        transaction.on_commit(partial(_enqueue_change, row.pk), robust=True)
    return row


def outbound_change_deliver(*, change_id: int) -> DeliveryOutcome:
    """Ask the provider for one change (one attempt); see the module docstring. Safe to call
    any number of times and from several workers: only the claiming worker calls the provider,
    and a done or failed change is left alone."""
    change = (
        OutboundChange.objects.select_related("connection", "message__ticket__contact")
        .filter(pk=change_id)
        .first()
    )
    if change is None or change.status != OutboundChange.Status.PENDING:
        return SKIPPED
    connection = change.connection
    if not connection.is_active:
        return _finish(
            change,
            ProviderError(
                "The channel connection is disabled.", permanent=True, code="connection_disabled"
            ),
        )
    provider = provider_for(connection.provider)
    wait = delivery_slot_wait(connection, provider.rate_limit_per_second)
    if wait:
        return DeliveryOutcome("retry", retry_in=wait)
    if not provider_call_claim(change, timezone.now()):
        return SKIPPED
    sent = SentMessageChange(
        idempotency_key=change.idempotency_key,
        provider_message_id=change.message.provider_message_id or "",
        kind=change.message.kind,
        body=change.body,
        recipient=message_recipient(change.message, connection),
    )
    try:
        if change.kind == OutboundChange.Kind.EDIT:
            provider.edit_sent(connection, sent)
        else:
            provider.delete_sent(connection, sent)
    except ProviderError as exc:
        if exc.permanent or change.attempts >= settings.OUTBOUND_MAX_ATTEMPTS:
            return _finish(change, exc)
        return _retry_later(change, exc)
    except Exception as exc:  # a bug or an unexpected network error: bounded retries too
        logger.exception("Change %s: unexpected error from %s", change.pk, connection.provider)
        error = ProviderError(f"{type(exc).__name__}: {exc}", permanent=False, code="unexpected")
        if change.attempts >= settings.OUTBOUND_MAX_ATTEMPTS:
            return _finish(change, error)
        return _retry_later(change, error)
    return _finish(change, None)


def _retry_later(change: OutboundChange, error: ProviderError) -> DeliveryOutcome:
    delay = error.retry_after if error.retry_after else delivery_backoff(change.attempts)
    change.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    change.locked_until = None
    change.error_code = (error.code or "provider_error")[:64]
    change.last_error = error.detail[:500]
    change.save(
        update_fields=["next_attempt_at", "locked_until", "error_code", "last_error", "updated_at"]
    )
    return DeliveryOutcome("retry", retry_in=delay)


def _finish(change: OutboundChange, error: ProviderError | None) -> DeliveryOutcome:
    """Done (``error`` None) or failed for good; the message shows the outcome unless a later
    change of it is still on its way (that one's outcome is what the customer will see)."""
    with transaction.atomic():
        change.locked_until = None
        if error is None:
            change.status = OutboundChange.Status.DONE
            change.done_at = timezone.now()
            change.error_code = ""
            change.last_error = ""
        else:
            change.status = OutboundChange.Status.FAILED
            change.error_code = (error.code or "provider_error")[:64]
            change.last_error = error.detail[:500]
        change.save(
            update_fields=[
                "status",
                "locked_until",
                "done_at",
                "error_code",
                "last_error",
                "updated_at",
            ]
        )
        later = OutboundChange.objects.filter(
            message_id=change.message_id,
            status=OutboundChange.Status.PENDING,
            created_at__gt=change.created_at,
        ).exists()
        if not later:
            message_customer_copy_record(message=change.message, changed=error is None)
    return DeliveryOutcome("sent" if error is None else "failed")


def outbound_changes_sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Re-enqueue the current tenant's pending changes whose task was lost; how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CHANNEL_SWEEP_AFTER_MINUTES)
    overdue = provider_calls_overdue(OutboundChange, now=now, cutoff=cutoff, limit=limit)
    for change_id in overdue:
        _enqueue_change(change_id)
    return len(overdue)
