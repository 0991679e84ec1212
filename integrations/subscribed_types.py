"""The event types the tenant's active webhook subscriptions want, kept in the tenant's Redis,
so that an event nobody subscribed to costs its subscribers no query.

The kept set is tagged with the *version* that was current when the table was read, and is
trusted only while that version still is. Every change of a subscription (``post_save``,
``post_delete``, and the bulk update that switches a failing one off) sets a new version at once
and again once its transaction commits: a process that read the table before the commit stores
its set under a version that is gone by then. The set also expires after ``KEPT_SECONDS``, so a
change made while Redis was unreachable (no version could be set) is seen after that long at
most. When Redis fails, the table is read, as every event did before.
"""

from __future__ import annotations

import logging
import uuid
from itertools import chain
from typing import Any

from django.db import transaction

from core.redis import redis_client
from integrations.models import WebhookSubscription
from tenants.tenancy import redis_key

logger = logging.getLogger(__name__)

KEPT_SECONDS = 300


def _keys() -> tuple[str, str]:
    return redis_key("webhooks", "types", "version"), redis_key("webhooks", "types")


def _read() -> frozenset[str]:
    rows = WebhookSubscription.objects.filter(is_active=True).values_list("event_types", flat=True)
    return frozenset(chain.from_iterable(rows))


def subscribed_event_types() -> frozenset[str]:
    """Every event type an active subscription of the current tenant wants (one Redis round
    trip when kept; the table is read otherwise)."""
    version_key, types_key = _keys()
    try:
        client = redis_client()
        version, kept = client.mget(version_key, types_key)
    except Exception:  # noqa: BLE001  (any Redis failure: read the table)
        logger.warning("webhook types: Redis unavailable, reading the subscriptions")
        return _read()
    if version is not None and kept is not None:
        kept_version, _sep, types = kept.partition("|")
        if kept_version == version:
            return frozenset(types.split(",")) if types else frozenset()
    found = _read()
    try:
        if version is None:
            version = uuid.uuid4().hex
            if not client.set(version_key, version, nx=True):
                return found  # another process set one meanwhile: keep nothing under ours
        client.set(types_key, f"{version}|{','.join(sorted(found))}", ex=KEPT_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("webhook types: Redis unavailable, nothing kept")
    return found


def _new_version() -> None:
    version_key, _ = _keys()
    try:
        redis_client().set(version_key, uuid.uuid4().hex)
    except Exception:  # noqa: BLE001  (the kept set expires within KEPT_SECONDS)
        logger.warning("webhook types: Redis unavailable, kept types expire on their own")


def subscribed_types_changed() -> None:
    """A subscription changed in the current transaction: forget the kept types now and again
    once it commits (a set read before the commit must not outlive it)."""
    _new_version()
    transaction.on_commit(_new_version, robust=True)


def on_subscription_saved_or_deleted(sender: Any, **kwargs: Any) -> None:
    """``post_save`` / ``post_delete`` of ``WebhookSubscription``."""
    subscribed_types_changed()
