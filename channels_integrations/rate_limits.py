"""Per-connection outbound rate limit in Redis (a fixed one-second window).

Every worker process shares the counter, so a connection never sends more than its provider's
documented rate (``ChannelProvider.rate_limit_per_second``; rates below one per second count as
one), whichever worker sends. Keys are tenant-scoped (``tenants.tenancy.redis_key``) and expire
on their own. A fixed window allows a burst of twice the rate across a window boundary.
"""

from __future__ import annotations

import math
import time

from core.redis import redis_client
from tenants.tenancy import redis_key

WINDOW_SECONDS = 1.0


def outbound_slot_wait(
    *, connection_key: str, per_second: float, now: float | None = None
) -> float:
    """Take one sending slot of the connection; 0.0 when granted, else the seconds to wait
    before the next window (the slot is not taken then)."""
    now = time.time() if now is None else now
    window = math.floor(now / WINDOW_SECONDS)
    limit = max(1, math.floor(per_second * WINDOW_SECONDS))
    key = redis_key("outbound-rate", connection_key, window)
    pipe = redis_client().pipeline()
    pipe.incr(key)
    pipe.expire(key, math.ceil(WINDOW_SECONDS) + 1)
    count, _ = pipe.execute()
    if int(count) <= limit:
        return 0.0
    return max((window + 1) * WINDOW_SECONDS - now, 0.001)
