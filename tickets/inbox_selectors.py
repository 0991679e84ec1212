"""Reads of the inbox page that the shared selectors do not cover."""

from __future__ import annotations

from core.redis import redis_client
from tenants.tenancy import redis_key


def realtime_last_event_id() -> int:
    """The tenant's latest live-event id: ``realtime.stream.stream_last_id``, which this app may
    not import (realtime sits above it); realtime/tests/test_inbox_last_event_id.py holds the
    two equal. Read before the list, it lets the page's socket replay whatever happened after
    the list was read."""
    value = redis_client().get(redis_key("realtime", "seq"))
    return int(value) if value else 0
