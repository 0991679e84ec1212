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


# Take a slot only while the window's count is under the bulk ceiling: the check and the take
# are one step, so two bulk senders never both take the last bulk slot.
_BULK_TAKE = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""

# The part of a connection's rate bulk sends (campaigns) may use in a window; the rest is kept
# for live replies, which count against the same window and may use all of it.
BULK_SHARE = 0.5


def bulk_slot_wait(
    *, connection_key: str, per_second: float, share: float = BULK_SHARE, now: float | None = None
) -> float:
    """``outbound_slot_wait`` for bulk sends, which share the connection's window with replies
    but only take a slot while fewer than ``share`` of its slots are used: replies (taking up to
    the whole rate) always find their share free. 0.0 when granted, else the seconds to wait."""
    now = time.time() if now is None else now
    window = math.floor(now / WINDOW_SECONDS)
    limit = max(1, math.floor(per_second * WINDOW_SECONDS * share))
    key = redis_key("outbound-rate", connection_key, window)
    taken = redis_client().eval(_BULK_TAKE, 1, key, limit, math.ceil(WINDOW_SECONDS) + 1)
    if int(taken):
        return 0.0
    return max((window + 1) * WINDOW_SECONDS - now, 0.001)
