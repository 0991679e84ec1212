"""The outbound pipeline: a dispatched message → ``OutboundDelivery`` → provider.

``message_dispatch`` (tickets) publishes ``MessageDispatched`` exactly once per message; the
subscriber calls ``outbound_delivery_create``, which stores the delivery with its idempotency key
and enqueues ``outbound_message_deliver_task`` on the ``replies`` queue after commit. The task
calls ``outbound_message_deliver``: it waits for a slot of the connection's rate limit, claims
the row with a conditional update (so two workers never send the same message), sends through
the provider, and records the provider message id. Temporary errors come back with a delay for
the task to retry (exponential back-off, bounded by ``OUTBOUND_MAX_ATTEMPTS``); permanent ones
mark the message failed with the provider's reason. Internal notes, inbound messages and echoes
of messages that came from the channel never get a delivery.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from channels_integrations.models import OutboundDelivery, ProviderCall
from channels_integrations.providers.base import OutboundMessage, ProviderError
from channels_integrations.providers.registry import PROVIDERS, provider_for
from channels_integrations.rate_limits import outbound_slot_wait
from connections.models import ChannelConnection
from contacts.models import ContactIdentity
from tickets.models import Message
from tickets.services.messages import (
    message_delivery_failed,
    message_delivery_requeue,
    message_sent_record,
)

logger = logging.getLogger(__name__)

# A claim (settings.OUTBOUND_CLAIM_SECONDS) lasts longer than the slowest provider call (file
# uploads included); a worker that dies mid-send releases the row when it expires.
# Waits for a rate-limit slot shorter than this are slept in the worker (the window is one
# second); longer ones are retried by the task.
INLINE_WAIT_SECONDS = 1.0
INLINE_WAIT_TRIES = 3


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one delivery attempt did: ``sent``, ``failed``, ``retry`` (after ``retry_in``
    seconds) or ``skipped`` (already done, gone, or held by another worker)."""

    result: str
    retry_in: float | None = None


SKIPPED = DeliveryOutcome("skipped")


def _never_sent(message: Message) -> bool:
    # An echo of a message that came from the channel already has the provider's id.
    return (
        message.is_note
        or message.direction != Message.Direction.OUTBOUND
        or message.deleted_at is not None
        or message.provider_message_id is not None
    )


def _enqueue_delivery(delivery_id: int) -> None:
    from channels_integrations.tasks import outbound_message_deliver_task

    outbound_message_deliver_task.apply_async(args=(delivery_id,), queue="replies")


def outbound_delivery_create(*, message_id: int) -> OutboundDelivery | None:
    """The delivery of a dispatched outbound message, created once (idempotency key per
    message) and enqueued after commit; None for a message that is never sent or whose
    provider is not installed here."""
    message = Message.objects.select_related("connection").filter(pk=message_id).first()
    if message is None or _never_sent(message):
        return None
    if message.connection.provider not in PROVIDERS:
        logger.info(
            "No provider %r installed: message %s stays queued",
            message.connection.provider,
            message.pk,
        )
        return None
    with transaction.atomic():
        delivery, created = OutboundDelivery.objects.get_or_create(
            message=message,
            defaults={
                "connection": message.connection,
                "idempotency_key": f"msg-{message.public_id}",
                "next_attempt_at": timezone.now(),
            },
        )
        if created:
            transaction.on_commit(partial(_enqueue_delivery, delivery.pk), robust=True)
    return delivery


def delivery_backoff(attempts: int) -> float:
    """The delay before the next attempt of a call that failed ``attempts`` times."""
    delay = min(
        settings.OUTBOUND_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
        settings.OUTBOUND_RETRY_MAX_SECONDS,
    )
    return float(delay) * random.uniform(0.8, 1.2)  # jitter: retries of one outage spread out


def message_recipient(message: Message, connection: ChannelConnection) -> str:
    """The contact's id on the provider (its identity), else its phone without the plus."""
    identity = (
        ContactIdentity.objects.filter(
            contact_id=message.ticket.contact_id, provider=connection.provider
        )
        .order_by("-updated_at")
        .values_list("external_id", flat=True)
        .first()
    )
    if identity:
        return identity
    return message.ticket.contact.phone.lstrip("+")


def _quoted_author(message: Message) -> str:
    """The group member who wrote the message ``message`` quotes or reacts to ("" elsewhere)."""
    quoted_payload = message.quoted.payload if message.quoted else None
    sender = quoted_payload.get("group_sender") if isinstance(quoted_payload, dict) else None
    return str(sender.get("number") or "") if isinstance(sender, dict) else ""


def _outbound_message(delivery: OutboundDelivery) -> OutboundMessage:
    message = delivery.message
    payload = message.payload if isinstance(message.payload, dict) else {}
    template = payload.get("template")
    # What came from a provider (its raw item, a media error) is not ours to send back.
    extra = {k: v for k, v in payload.items() if k not in ("raw", "media_error", "template")}
    return OutboundMessage(
        idempotency_key=delivery.idempotency_key,
        recipient=message_recipient(message, delivery.connection),
        kind=message.kind,
        body=message.body,
        media_name=(message.media.name or "") if message.media else "",
        media_mime_type=message.media_mime,
        media_filename=message.media_name,
        quoted_provider_message_id=(message.quoted.provider_message_id or "")
        if message.quoted
        else "",
        quoted_author=_quoted_author(message),
        template=template if isinstance(template, dict) else None,
        extra=extra,
        thread=_thread(message)
        if provider_for(delivery.connection.provider).threads_by_headers
        else {},
    )


# Provider ids of the earlier messages a threaded reply names (RFC 5322 References).
THREAD_REFERENCES_MAX = 20


def _thread(message: Message) -> dict[str, Any]:
    """The conversation an outbound message continues, for providers that thread by headers:
    the first customer message's subject, the provider ids of the ticket's earlier messages
    (oldest first; a file's part id is left out), the ticket's protocol, the agent."""
    ticket = message.ticket
    earlier = list(
        Message.objects.filter(ticket=ticket, pk__lt=message.pk, provider_message_id__isnull=False)
        .exclude(provider_message_id__contains="#")
        .order_by("-pk")
        .values_list("provider_message_id", "payload")[:THREAD_REFERENCES_MAX]
    )
    earlier.reverse()
    subject = ""
    for _id, payload in earlier:
        email = payload.get("email") if isinstance(payload, dict) else None
        if isinstance(email, dict) and email.get("subject"):
            subject = str(email["subject"])
            break
    agent = message.sender_user
    return {
        "subject": subject,
        "references": [provider_id for provider_id, _payload in earlier],
        "token": ticket.protocol,
        "agent_name": (agent.name or agent.email) if agent is not None else "",
        "signed": bool(agent is not None and agent.sign_messages and agent.signature),
    }


def provider_call_claim(row: ProviderCall, now: datetime) -> bool:
    """Take a pending delivery or change for one attempt; False when it is done or another
    worker holds it."""
    claimed = (
        type(row)
        ._default_manager.filter(pk=row.pk, status="pending")
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(
            locked_until=now + timedelta(seconds=settings.OUTBOUND_CLAIM_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    if claimed:
        row.refresh_from_db(fields=["attempts", "locked_until"])
    return bool(claimed)


def delivery_slot_wait(connection: ChannelConnection, per_second: float) -> float:
    """0.0 once a slot is taken; otherwise the delay for the task to retry after."""
    for _ in range(INLINE_WAIT_TRIES):
        wait = outbound_slot_wait(connection_key=str(connection.public_id), per_second=per_second)
        if wait == 0.0:
            return 0.0
        if wait > INLINE_WAIT_SECONDS:
            return wait
        time.sleep(wait)
    return INLINE_WAIT_SECONDS


def outbound_message_deliver(*, delivery_id: int) -> DeliveryOutcome:
    """Send one delivery through its provider (one attempt); see the module docstring.

    Safe to call any number of times and from several workers: a sent or failed delivery is
    left alone, and only the worker whose conditional update claims the row sends.
    """
    delivery = (
        OutboundDelivery.objects.select_related(
            "connection", "message", "message__quoted", "message__ticket__contact"
        )
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status != OutboundDelivery.Status.PENDING:
        return SKIPPED
    connection, message = delivery.connection, delivery.message
    if message.deleted_at is not None:  # deleted after it was handed over: never sent
        return _fail(
            delivery,
            ProviderError("The message was deleted.", permanent=True, code="message_deleted"),
        )
    if not connection.is_active:
        return _fail(
            delivery,
            ProviderError(
                "The channel connection is disabled.", permanent=True, code="connection_disabled"
            ),
        )
    provider = provider_for(connection.provider)
    wait = delivery_slot_wait(connection, provider.rate_limit_per_second)
    if wait:
        return DeliveryOutcome("retry", retry_in=wait)
    now = timezone.now()
    if not provider_call_claim(delivery, now):
        return SKIPPED
    try:
        provider_message_id = provider.send(connection, _outbound_message(delivery))
    except ProviderError as exc:
        return _after_error(delivery, exc)
    except Exception as exc:  # a bug or an unexpected network error: bounded retries too
        logger.exception("Delivery %s: unexpected error from %s", delivery.pk, connection.provider)
        return _after_error(
            delivery,
            ProviderError(f"{type(exc).__name__}: {exc}", permanent=False, code="unexpected_error"),
        )
    with transaction.atomic():
        delivery.status = OutboundDelivery.Status.SENT
        delivery.provider_message_id = provider_message_id[:255]
        delivery.sent_at = timezone.now()
        delivery.locked_until = None
        delivery.error_code = ""
        delivery.last_error = ""
        delivery.save(
            update_fields=[
                "status",
                "provider_message_id",
                "sent_at",
                "locked_until",
                "error_code",
                "last_error",
                "updated_at",
            ]
        )
        message_sent_record(
            message=message, provider_message_id=provider_message_id, at=delivery.sent_at
        )
    return DeliveryOutcome("sent")


def _after_error(delivery: OutboundDelivery, error: ProviderError) -> DeliveryOutcome:
    if error.permanent or delivery.attempts >= settings.OUTBOUND_MAX_ATTEMPTS:
        return _fail(delivery, error)
    delay = error.retry_after if error.retry_after else delivery_backoff(delivery.attempts)
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    delivery.locked_until = None
    delivery.error_code = (error.code or "provider_error")[:64]
    delivery.last_error = error.detail[:500]
    delivery.save(
        update_fields=["next_attempt_at", "locked_until", "error_code", "last_error", "updated_at"]
    )
    logger.info(
        "Delivery %s failed (attempt %s), retry in %.0fs: %s",
        delivery.pk,
        delivery.attempts,
        delay,
        error.detail,
    )
    return DeliveryOutcome("retry", retry_in=delay)


def _fail(delivery: OutboundDelivery, error: ProviderError) -> DeliveryOutcome:
    code = (error.code or "provider_error")[:64]
    with transaction.atomic():
        delivery.status = OutboundDelivery.Status.FAILED
        delivery.locked_until = None
        delivery.error_code = code
        delivery.last_error = error.detail[:500]
        delivery.save(
            update_fields=["status", "locked_until", "error_code", "last_error", "updated_at"]
        )
        message_delivery_failed(
            message=delivery.message, error_code=code, error_detail=error.detail
        )
    return DeliveryOutcome("failed")


def outbound_delivery_retry(*, message: Message, by: User) -> Message:
    """The "Try again" of a failed reply: the message goes back to queued and its delivery to
    pending with fresh attempts, enqueued after commit like a new one (same idempotency key, so
    a provider that saw the first attempt does not send it twice). The checks are
    ``message_delivery_requeue``'s: an open ticket ``by`` may reply on, a reply the channel
    never accepted."""
    with transaction.atomic():
        message = message_delivery_requeue(message=message, by=by)
        delivery = OutboundDelivery.objects.select_for_update().filter(message=message).first()
        if delivery is None:  # the subscriber never made one: the pipeline's usual path
            outbound_delivery_create(message_id=message.pk)
            return message
        delivery.status = OutboundDelivery.Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.locked_until = None
        delivery.error_code = ""
        delivery.last_error = ""
        delivery.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "locked_until",
                "error_code",
                "last_error",
                "updated_at",
            ]
        )
        transaction.on_commit(partial(_enqueue_delivery, delivery.pk), robust=True)
    return message


def provider_calls_overdue(
    model: type[ProviderCall], *, now: datetime, cutoff: datetime, limit: int
) -> list[int]:
    """Ids of pending deliveries or changes (``model``) whose next attempt was due before
    ``cutoff`` and that no worker holds: their task was lost."""
    return list(
        model._default_manager.filter(status="pending", next_attempt_at__lt=cutoff)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbound_deliveries_sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Hand out again what a lost task left behind in the current tenant; returns how many.

    Pending deliveries whose next attempt is overdue by CHANNEL_SWEEP_AFTER_MINUTES and that no
    worker holds are re-enqueued; dispatched messages that never got a delivery (the subscriber
    failed) get one.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CHANNEL_SWEEP_AFTER_MINUTES)
    overdue = provider_calls_overdue(OutboundDelivery, now=now, cutoff=cutoff, limit=limit)
    for delivery_id in overdue:
        _enqueue_delivery(delivery_id)
    orphans = list(
        Message.objects.filter(
            status=Message.Status.QUEUED,
            dispatched_at__lt=cutoff,
            delivery__isnull=True,
            direction=Message.Direction.OUTBOUND,
            is_note=False,
            deleted_at__isnull=True,
            connection__provider__in=list(PROVIDERS),
        ).values_list("pk", flat=True)[:limit]
    )
    created = [outbound_delivery_create(message_id=pk) for pk in orphans]
    return len(overdue) + sum(1 for delivery in created if delivery is not None)
