"""Outbound webhooks: subscriptions, the fan-out of domain events into deliveries, and each
delivery's attempts.

Fan-out (``webhook_fan_out``) runs in the event bus subscriber after the change committed: one
query finds the subscriptions of that type; each gets a ``WebhookDelivery`` whose body is
serialised once (every attempt sends the same bytes) and a task enqueued after commit.

An attempt (``webhook_delivery_attempt``) claims the row with a conditional update (two workers
never send the same delivery at once), signs ``<timestamp>.<body>`` with HMAC-SHA256 under the
subscription's secret (and the previous one during a rotation), posts it to the checked
address (no redirects, bounded answer), and records the attempt. 2xx: done. Timeouts, network
errors, 5xx and 429: retried with exponential back-off and jitter (429 waits at least its
Retry-After) until 24 hours after the event; anything else (other 4xx, redirects, internal
addresses): failed at once. A subscription failing for 24 hours is switched off, which its page
shows. Ordered subscriptions send a ticket's deliveries one at a time, oldest first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_object, audit_record, changes_diff, snapshot
from connections.crypto import credentials_decrypt, credentials_encrypt
from core.exceptions import FieldValidationError
from integrations.errors import UnsafeUrl
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.safe_http import safe_request, url_check
from integrations.subscribed_types import subscribed_types_changed
from integrations.webhook_events import COMPATIBLE, EVENT_TYPES, TEST_EVENT
from tenants.tenancy import current_schema

logger = logging.getLogger(__name__)

RETRY_WINDOW = timedelta(hours=24)
DISABLE_AFTER = timedelta(hours=24)
ROTATION_OVERLAP = timedelta(hours=24)
# What the audit log keeps of a subscription (the header is masked, the secret never read).
_AUDITED = ("name", "url", "event_types", "format", "auth_header", "ordered", "is_active")
RESPONSE_EXCERPT_BYTES = 1000
SIGNATURE_HEADER = "X-TikTickets-Signature"
TIMESTAMP_HEADER = "X-TikTickets-Timestamp"
DELIVERY_HEADER = "X-TikTickets-Delivery"
EVENT_HEADER = "X-TikTickets-Event"
USER_AGENT = "TikTickets-Webhooks/1"
Status = WebhookDelivery.Status


# --------------------------------------------------------------------------- subscriptions


def _secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _seal(secret: str) -> str:
    return credentials_encrypt({"secret": secret})


def _unseal(token: str) -> str:
    return str(credentials_decrypt(token)["secret"]) if token else ""


def webhook_secrets(subscription: WebhookSubscription) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during a rotation."""
    found = [_unseal(subscription.secret_encrypted)]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret_encrypted and expires and expires > timezone.now():
        found.append(_unseal(subscription.previous_secret_encrypted))
    return found


def _clean(
    *, name: str, url: str, event_types: Sequence[str], format: str, auth_header: str
) -> tuple[str, str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 80:
        errors["name"] = [_("Give the subscription a name (up to 80 characters).")]
    if format not in WebhookSubscription.Format.values:
        errors["format"] = [_("Unknown format.")]
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        errors["event_types"] = [
            _("Unknown event types: %(types)s") % {"types": ", ".join(unknown)}
        ]
    elif not event_types:
        errors["event_types"] = [_("Choose at least one event type.")]
    elif any(EVENT_TYPES[t].format != format for t in event_types):
        errors["event_types"] = [_("These event types belong to the other format.")]
    if len(auth_header) > 500:
        errors["auth_header"] = [_("At most 500 characters.")]
    try:
        url_check(url)
    except UnsafeUrl as exc:
        errors["url"] = [exc.message]
    if errors:
        raise FieldValidationError(errors)
    return name, url.strip(), [t for t in EVENT_TYPES if t in event_types]


@transaction.atomic
def webhook_create(
    *,
    by: User,
    name: str,
    url: str,
    event_types: Sequence[str],
    format: str = WebhookSubscription.Format.STANDARD,
    auth_header: str = "",
    ordered: bool = False,
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (shown to the admin; stored encrypted)."""
    name, url, types = _clean(
        name=name, url=url, event_types=event_types, format=format, auth_header=auth_header
    )
    secret = _secret_new()
    subscription = WebhookSubscription.objects.create(
        name=name,
        url=url,
        event_types=types,
        format=format,
        auth_header=auth_header,
        ordered=ordered,
        secret_encrypted=_seal(secret),
        created_by=by,
    )
    audit_record(
        "webhook.created",
        actor=by,
        obj=subscription,
        changes=changes_diff({}, snapshot(subscription, _AUDITED)),
    )
    return subscription, secret


@transaction.atomic
def webhook_update(
    *,
    subscription: WebhookSubscription,
    name: str | None = None,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    auth_header: str | None = None,
    ordered: bool | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change a subscription; switching it on again clears its failure streak."""
    before = snapshot(subscription, _AUDITED)
    name, url, types = _clean(
        name=subscription.name if name is None else name,
        url=subscription.url if url is None else url,
        event_types=subscription.event_types if event_types is None else event_types,
        format=subscription.format,
        auth_header=subscription.auth_header if auth_header is None else auth_header,
    )
    subscription.name, subscription.url, subscription.event_types = name, url, types
    if auth_header is not None:
        subscription.auth_header = auth_header
    if ordered is not None:
        subscription.ordered = ordered
    if is_active is not None and is_active != subscription.is_active:
        subscription.is_active = is_active
        if is_active:
            subscription.disabled_at, subscription.disabled_reason = None, ""
            subscription.failing_since = None
        else:
            subscription.disabled_at = timezone.now()
            subscription.disabled_reason = "switched off by an admin"
    subscription.save()
    diff = changes_diff(before, snapshot(subscription, _AUDITED))
    if diff:
        audit_record("webhook.updated", obj=subscription, changes=diff)
    return subscription


def webhook_delete(*, subscription: WebhookSubscription) -> None:
    target = audit_object(subscription)
    subscription.delete()
    audit_record("webhook.deleted", obj=target)


@transaction.atomic
def webhook_secret_rotate(*, subscription: WebhookSubscription) -> str:
    """A new secret signs from now on; the old one keeps signing too for 24 hours."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    secret = _secret_new()
    subscription.previous_secret_encrypted = subscription.secret_encrypted
    subscription.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    subscription.secret_encrypted = _seal(secret)
    subscription.save(
        update_fields=[
            "previous_secret_encrypted",
            "previous_secret_expires_at",
            "secret_encrypted",
            "updated_at",
        ]
    )
    audit_record("webhook.secret_rotated", obj=subscription)
    return secret


# --------------------------------------------------------------------------- fan-out


def _enqueue(delivery_id: int, countdown: float = 0) -> None:
    from integrations.tasks import webhook_deliver_task

    webhook_deliver_task.apply_async(args=(delivery_id,), countdown=countdown)


def _envelope(event_id: uuid.UUID, event_type: str, at: datetime, data: Any) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": at.isoformat(),
        "tenant": current_schema(),
        "data": data,
    }


def _serialise(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _is_first_pending(delivery: WebhookDelivery) -> bool:
    return not WebhookDelivery.objects.filter(
        Q(created_at__lt=delivery.created_at)
        | Q(created_at=delivery.created_at, id__lt=delivery.pk),
        subscription_id=delivery.subscription_id,
        ordering_key=delivery.ordering_key,
        status=Status.PENDING,
    ).exists()


def _enqueue_many(delivery_ids: list[int]) -> None:
    """One broker connection for all the tasks of an event (a fan-out to many subscriptions)."""
    from integrations.tasks import webhook_deliver_task

    with webhook_deliver_task.app.producer_or_acquire() as producer:
        for delivery_id in delivery_ids:
            webhook_deliver_task.apply_async(args=(delivery_id,), producer=producer)


def _deliveries_create(
    subscriptions: Sequence[WebhookSubscription],
    event_type: str,
    body_for: Callable[[WebhookSubscription, uuid.UUID, datetime], dict[str, Any] | None],
    ordering_key: str = "",
    is_test: bool = False,
) -> list[WebhookDelivery]:
    now = timezone.now()
    event_id = uuid.uuid4()
    rows: list[WebhookDelivery] = []
    for subscription in subscriptions:
        body = body_for(subscription, event_id, now)
        if body is None:
            continue
        rows.append(
            WebhookDelivery(
                subscription=subscription,
                event_id=event_id,
                event_type=event_type,
                body=_serialise(body),
                ordering_key=ordering_key if subscription.ordered else "",
                next_attempt_at=now,
                is_test=is_test,
            )
        )
    created = WebhookDelivery.objects.bulk_create(rows)
    ready = [d.pk for d in created if not d.ordering_key or _is_first_pending(d)]
    if ready:
        transaction.on_commit(partial(_enqueue_many, ready), robust=True)
    return created


def webhook_fan_out(
    *,
    event_type: str,
    data: Callable[[], Any],
    ordering_key: str = "",
    compatible: Callable[[WebhookSubscription, datetime], dict[str, Any] | None] | None = None,
) -> list[WebhookDelivery]:
    """A delivery of ``event_type`` for every active subscription to it. ``data()`` is read
    only when someone subscribed (the event path costs one query otherwise); compatible
    subscriptions get ``compatible(subscription, at)`` as their whole body (None: nothing)."""
    subscriptions = list(
        WebhookSubscription.objects.filter(is_active=True, event_types__contains=[event_type])
    )
    if not subscriptions:
        return []
    cached: list[Any] = []

    def body_for(
        subscription: WebhookSubscription, event_id: uuid.UUID, at: datetime
    ) -> dict[str, Any] | None:
        if subscription.format == COMPATIBLE:
            return compatible(subscription, at) if compatible else None
        if not cached:
            cached.append(data())
        return _envelope(event_id, event_type, at, cached[0])

    with transaction.atomic():
        return _deliveries_create(subscriptions, event_type, body_for, ordering_key)


@transaction.atomic
def webhook_test_send(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A ``ping`` delivery to this subscription (the "send test event" button)."""

    def body_for(
        _sub: WebhookSubscription, event_id: uuid.UUID, at: datetime
    ) -> dict[str, Any] | None:
        return _envelope(event_id, TEST_EVENT, at, {"subscription_id": str(subscription.public_id)})

    return _deliveries_create([subscription], TEST_EVENT, body_for, is_test=True)[0]


def _copy(delivery: WebhookDelivery) -> WebhookDelivery:
    copy = WebhookDelivery.objects.create(
        subscription=delivery.subscription,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        body=delivery.body,
        ordering_key="",
        next_attempt_at=timezone.now(),
        is_test=delivery.is_test,
    )
    transaction.on_commit(partial(_enqueue, copy.pk), robust=True)
    return copy


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event (same body and event id) again, as a new delivery."""
    return _copy(delivery)


@transaction.atomic
def webhook_redeliver_failed(
    *, subscription: WebhookSubscription, since: datetime, until: datetime
) -> int:
    """Redeliver every failed delivery of the subscription created in [since, until)."""
    failed = WebhookDelivery.objects.filter(
        subscription=subscription,
        status=Status.FAILED,
        created_at__gte=since,
        created_at__lt=until,
    ).order_by("created_at", "id")
    count = 0
    for delivery in failed[:1000]:
        _copy(delivery)
        count += 1
    return count


# --------------------------------------------------------------------------- delivery


def signature(secret: str, timestamp: int, body: str) -> str:
    """HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``, in hex."""
    message = f"{timestamp}.{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(subscription: WebhookSubscription, delivery: WebhookDelivery) -> dict[str, str]:
    timestamp = int(time.time())
    signatures = ",".join(
        f"v1={signature(secret, timestamp, delivery.body)}"
        for secret in webhook_secrets(subscription)
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"t={timestamp},{signatures}",
        DELIVERY_HEADER: str(delivery.public_id),
        "Idempotency-Key": str(delivery.event_id),
        EVENT_HEADER: delivery.event_type,
    }
    if subscription.auth_header:
        headers["Authorization"] = subscription.auth_header
    return headers


@dataclass(frozen=True)
class AttemptOutcome:
    """``succeeded``, ``failed``, ``retry`` (after ``retry_in`` seconds) or ``skipped``."""

    result: str
    retry_in: float | None = None


SKIPPED = AttemptOutcome("skipped")


def backoff_seconds(attempts: int) -> float:
    """Exponential back-off with jitter: base * 2^(attempts-1), capped, ±20 %."""
    delay = min(
        settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
        settings.WEBHOOK_RETRY_MAX_SECONDS,
    )
    return float(delay) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


def _retry_after(value: str | None) -> float:
    try:
        return max(float(value or 0), 0.0)
    except ValueError:
        return 0.0


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3))
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


def _enqueue_next_in_order(delivery: WebhookDelivery) -> None:
    if not delivery.ordering_key:
        return
    following = (
        WebhookDelivery.objects.filter(
            subscription_id=delivery.subscription_id,
            ordering_key=delivery.ordering_key,
            status=Status.PENDING,
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        transaction.on_commit(partial(_enqueue, following), robust=True)


def _record_failure_streak(subscription: WebhookSubscription, now: datetime) -> None:
    WebhookSubscription.objects.filter(pk=subscription.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    subscription.refresh_from_db(fields=["failing_since", "is_active"])
    since = subscription.failing_since
    if subscription.is_active and since is not None and now - since >= DISABLE_AFTER:
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            is_active=False,
            disabled_at=now,
            disabled_reason=WebhookSubscription.AUTO_DISABLED_REASON,
            updated_at=now,
        )
        subscribed_types_changed()


def webhook_delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """One attempt of a delivery (see the module's docstring for the rules)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return SKIPPED
    subscription = delivery.subscription
    if delivery.ordering_key and not _is_first_pending(delivery):
        # An older delivery of this ticket is still on its way; it hands over when done.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        return SKIPPED
    if not subscription.is_active and not delivery.is_test:
        return _finish(delivery, Status.FAILED, error="subscription switched off")
    status_code: int | None = None
    excerpt = error = ""
    retry_after = 0.0
    latency_ms = 0
    try:
        answer = safe_request(
            "POST",
            subscription.url,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            max_bytes=RESPONSE_EXCERPT_BYTES,
            headers=signed_headers(subscription, delivery),
            content=delivery.body.encode(),
            truncate=True,
        )
    except UnsafeUrl as exc:
        error, temporary = exc.code, False
    except httpx.TimeoutException:
        error, temporary = "timeout", True
    except httpx.HTTPError as exc:
        error, temporary = f"network error: {type(exc).__name__}", True
    else:
        status_code, latency_ms = answer.status_code, answer.latency_ms
        excerpt = answer.body.decode("utf-8", "replace")
        retry_after = _retry_after(answer.headers.get("retry-after"))
        temporary = status_code >= 500 or status_code == 429
    now = timezone.now()
    succeeded = status_code is not None and 200 <= status_code < 300
    next_at: datetime | None = None
    if not succeeded and temporary:
        attempts = delivery.attempts + 1
        delay = max(backoff_seconds(attempts), retry_after)
        if now + timedelta(seconds=delay) - delivery.created_at <= RETRY_WINDOW:
            next_at = now + timedelta(seconds=delay)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=status_code,
            latency_ms=latency_ms,
            response_excerpt=excerpt[:RESPONSE_EXCERPT_BYTES],
            error=error[:255],
            next_attempt_at=next_at,
        )
        if succeeded:
            WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=None)
            return _finish(delivery, Status.SUCCEEDED)
        if not delivery.is_test:
            _record_failure_streak(subscription, now)
        if next_at is None:
            return _finish(delivery, Status.FAILED)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=delivery.attempts + 1, next_attempt_at=next_at, updated_at=now
        )
    return AttemptOutcome("retry", retry_in=(next_at - now).total_seconds())


def _finish(delivery: WebhookDelivery, status: str, error: str = "") -> AttemptOutcome:
    with transaction.atomic():
        if error:
            WebhookAttempt.objects.create(delivery=delivery, error=error)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status,
            attempts=delivery.attempts + 1,
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        _enqueue_next_in_order(delivery)
    return AttemptOutcome(str(status))


def webhook_deliveries_sweep() -> int:
    """Enqueue the pending deliveries that are due (long back-offs, lost tasks)."""
    due = WebhookDelivery.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:1000]
    count = 0
    for delivery_id in due:
        _enqueue(delivery_id)
        count += 1
    return count
