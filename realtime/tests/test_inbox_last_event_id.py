"""The inbox page reads the tenant's latest live-event id without importing this app
(tickets.inbox_selectors.realtime_last_event_id): it must read the very counter the stream keeps."""

from __future__ import annotations

from realtime.stream import stream_append, stream_last_id
from tenants.tenancy import tenant_scope
from tickets.inbox_selectors import realtime_last_event_id


def test_the_inbox_reads_the_streams_own_counter(alpha, beta):
    with tenant_scope(alpha.tenant):
        assert realtime_last_event_id() == stream_last_id() == 0
        for _ in range(3):
            stream_append('{"type": "tag.changed"}', [])
        assert realtime_last_event_id() == stream_last_id() == 3
    with tenant_scope(beta.tenant):
        assert realtime_last_event_id() == 0
