"""The per-connection outbound rate limit: a fixed one-second window in Redis, per tenant."""

import uuid

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
