"""Presence: online / away / offline per user, from sockets and their heartbeats, in Redis.

Every socket is a member of two sorted sets scored by its last heartbeat: the user's (to compute
their status) and the tenant's (for the sweeper). A socket's own status (online or away) is in a
hash. A user is online when any live socket says online, away when their live sockets all say
away or when they chose "away" themselves (``presence_choose``, the header control and
``PATCH /api/v1/me/``; the choice outlives their sockets until they choose "available"),
offline when none is live. A socket is live while its last heartbeat is younger than
``REALTIME_PRESENCE_TTL`` seconds; the sweeper (beat, every few seconds) drops the others, so a
browser that vanished without closing its socket turns its user offline within
TTL + sweep interval. Nothing lives in process memory: any number of websocket processes agree.

A change of a user's status is stored atomically (only one process sees the change), persisted
as ``last_seen_at`` when they go offline, and published as ``UserPresenceChanged``.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.domain_events import UserPresenceChanged
from accounts.models import User
from core.event_bus import publish
from core.redis import redis_client
from tenants.tenancy import current_schema, redis_key, redis_key_public

logger = logging.getLogger(__name__)

ONLINE = "online"
AWAY = "away"
OFFLINE = "offline"
SOCKET_STATUSES = (ONLINE, AWAY)

# KEYS: users' status hash. ARGV: user id, new status. Returns the previous status or false.
_SWAP = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old ~= ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return old
"""


def _user_key(user_id: int) -> str:
    return redis_key("presence", "user", user_id)


def _sockets_key() -> str:
    return redis_key("presence", "sockets")


def _socket_status_key() -> str:
    return redis_key("presence", "socket-status")


def _users_key() -> str:
    return redis_key("presence", "users")


def _chosen_key() -> str:
    return redis_key("presence", "chosen-away")


def _tenants_key() -> str:
    return redis_key_public("presence", "tenants")


def presence_ttl() -> float:
    return float(settings.REALTIME_PRESENCE_TTL)


def presence_touch(*, user_id: int, channel: str, status: str = ONLINE) -> str:
    """A socket connected or sent a heartbeat; returns the user's status."""
    if status not in SOCKET_STATUSES:
        status = ONLINE
    now = time.time()
    client = redis_client()
    pipe = client.pipeline()
    pipe.zadd(_user_key(user_id), {channel: now})
    pipe.expire(_user_key(user_id), int(presence_ttl() * 4) + 60)
    pipe.zadd(_sockets_key(), {f"{user_id}|{channel}": now})
    pipe.hset(_socket_status_key(), channel, status)
    pipe.sadd(_tenants_key(), current_schema())
    pipe.execute()
    return _settle(user_id)


def presence_leave(*, user_id: int, channel: str) -> str:
    """A socket closed; returns the user's status."""
    _forget(user_id, channel)
    return _settle(user_id)


def _forget(user_id: int, channel: str) -> None:
    pipe = redis_client().pipeline()
    pipe.zrem(_user_key(user_id), channel)
    pipe.zrem(_sockets_key(), f"{user_id}|{channel}")
    pipe.hdel(_socket_status_key(), channel)
    pipe.execute()


def presence_status(user_id: int) -> str:
    """The user's status from their live sockets and their own choice."""
    client = redis_client()
    live = client.zrangebyscore(_user_key(user_id), time.time() - presence_ttl(), "+inf")
    if not live:
        return OFFLINE
    if client.sismember(_chosen_key(), user_id):
        return AWAY
    statuses = client.hmget(_socket_status_key(), live)
    return ONLINE if any(s in (None, ONLINE) for s in statuses) else AWAY


def presence_statuses(user_ids: list[int]) -> dict[int, str]:
    """Each user's status, in two Redis round trips whatever the number of users (lists of
    agents show them)."""
    if not user_ids:
        return {}
    client = redis_client()
    floor = time.time() - presence_ttl()
    pipe = client.pipeline()
    for user_id in user_ids:
        pipe.zrangebyscore(_user_key(user_id), floor, "+inf")
    pipe.smembers(_chosen_key())
    *lives, chosen = pipe.execute()
    sockets = [channel for live in lives for channel in live]
    found = client.hmget(_socket_status_key(), sockets) if sockets else []
    socket_statuses = dict(zip(sockets, found, strict=True))
    result: dict[int, str] = {}
    for user_id, live in zip(user_ids, lives, strict=True):
        if not live:
            result[user_id] = OFFLINE
        elif str(user_id) in chosen:
            result[user_id] = AWAY
        else:
            online = any(socket_statuses.get(c) in (None, ONLINE) for c in live)
            result[user_id] = ONLINE if online else AWAY
    return result


def presence_statuses_shown(user_ids: list[int]) -> dict[int, str]:
    """``presence_statuses`` for what pages and API answers show: with Redis unreachable every
    user shows offline instead of the request failing (the data itself is in PostgreSQL)."""
    try:
        return presence_statuses(user_ids)
    except RedisError:
        logger.warning("Presence unreadable (Redis): %d user(s) shown offline", len(user_ids))
        return dict.fromkeys(user_ids, OFFLINE)


def presence_chosen_away_shown(user_id: int) -> bool:
    """``presence_chosen_away`` for answers: False when Redis is unreachable."""
    try:
        return presence_chosen_away(user_id)
    except RedisError:
        return False


def presence_chosen_away(user_id: int) -> bool:
    """Whether the user chose "away" (whatever their sockets say)."""
    return bool(redis_client().sismember(_chosen_key(), user_id))


def presence_choose(*, user_id: int, status: str) -> str:
    """The user sets themselves "away" or "available" (``online``); returns their status.

    Away keeps them out of automatic distribution while their sockets stay connected; back to
    available, the change is published like any other (and distribution hands them the tickets
    waiting in their queues).
    """
    if status not in SOCKET_STATUSES:
        raise ValueError(status)
    if status == AWAY:
        redis_client().sadd(_chosen_key(), user_id)
    else:
        redis_client().srem(_chosen_key(), user_id)
    return _settle(user_id)


def _settle(user_id: int) -> str:
    """Store the user's status; on a change, persist last seen and publish it."""
    status = presence_status(user_id)
    previous = redis_client().eval(_SWAP, 1, _users_key(), user_id, status) or OFFLINE
    if previous != status:
        if status == OFFLINE or previous == OFFLINE:
            User.objects.filter(pk=user_id).update(last_seen_at=timezone.now())
        publish(UserPresenceChanged(user_id=user_id, status=status))
    return status


def presence_sweep() -> int:
    """Drop the current tenant's sockets whose heartbeats stopped; returns how many."""
    client = redis_client()
    expired = client.zrangebyscore(_sockets_key(), "-inf", time.time() - presence_ttl())
    users: set[int] = set()
    for member in expired:
        user_id, channel = member.split("|", 1)
        _forget(int(user_id), channel)
        users.add(int(user_id))
    for user_id in sorted(users):
        _settle(user_id)
    if not client.zcard(_sockets_key()):
        client.srem(_tenants_key(), current_schema())
    return len(expired)


def presence_tenants() -> list[str]:
    """Schemas that had live sockets at their last heartbeat (what the sweeper visits)."""
    return sorted(redis_client().smembers(_tenants_key()))
