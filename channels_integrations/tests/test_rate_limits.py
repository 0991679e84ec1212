"""The per-connection outbound rate limit: a fixed one-second window in Redis, per tenant."""

import uuid

import pytest

from channels_integrations.rate_limits import outbound_slot_wait
from tenants.tenancy import tenant_scope


def test_slots_beyond_the_rate_are_refused_until_the_next_window(alpha):
    key = str(uuid.uuid4())
    with tenant_scope(alpha.tenant):
        granted = [
            outbound_slot_wait(connection_key=key, per_second=2, now=5000.25) for _ in range(2)
        ]
        refused = outbound_slot_wait(connection_key=key, per_second=2, now=5000.25)
        next_window = outbound_slot_wait(connection_key=key, per_second=2, now=5001.0)

    assert granted == [0.0, 0.0]
    assert refused == 0.75
    assert next_window == 0.0


def test_a_rate_below_one_per_second_still_allows_one(alpha):
    key = str(uuid.uuid4())
    with tenant_scope(alpha.tenant):
        assert outbound_slot_wait(connection_key=key, per_second=0.5, now=7000.0) == 0.0
        assert outbound_slot_wait(connection_key=key, per_second=0.5, now=7000.5) == 0.5


def test_two_tenants_never_share_a_counter(alpha, beta):
    key = str(uuid.uuid4())  # the same connection key in both tenants
    with tenant_scope(alpha.tenant):
        outbound_slot_wait(connection_key=key, per_second=1, now=9000.0)
        assert outbound_slot_wait(connection_key=key, per_second=1, now=9000.0) > 0
    with tenant_scope(beta.tenant):
        assert outbound_slot_wait(connection_key=key, per_second=1, now=9000.0) == 0.0


def test_bulk_sends_leave_the_replies_share_of_the_window_free(alpha):
    from channels_integrations.rate_limits import bulk_slot_wait

    key = str(uuid.uuid4())
    with tenant_scope(alpha.tenant):
        # A rate of 10/s: bulk sends may take 5 slots of a window, replies all 10.
        bulk = [bulk_slot_wait(connection_key=key, per_second=10, now=11000.5) for _ in range(6)]
        replies = [
            outbound_slot_wait(connection_key=key, per_second=10, now=11000.5) for _ in range(5)
        ]
        replies_over = outbound_slot_wait(connection_key=key, per_second=10, now=11000.5)

    assert bulk == [0.0] * 5 + [0.5]
    assert replies == [0.0] * 5
    assert replies_over == 0.5


def test_replies_that_used_the_window_hold_bulk_sends_back(alpha):
    from channels_integrations.rate_limits import bulk_slot_wait

    key = str(uuid.uuid4())
    with tenant_scope(alpha.tenant):
        for _ in range(5):
            assert outbound_slot_wait(connection_key=key, per_second=10, now=12000.2) == 0.0
        held = bulk_slot_wait(connection_key=key, per_second=10, now=12000.2)
        next_window = bulk_slot_wait(connection_key=key, per_second=10, now=12001.0)

    assert held == pytest.approx(0.8)
    assert next_window == 0.0
