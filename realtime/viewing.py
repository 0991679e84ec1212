"""Who is viewing which ticket (collision detection): ephemeral, in Redis, expiring with the
presence TTL unless the viewing socket's heartbeats refresh it."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from accounts.models import User
from core.redis import redis_client
from tenants.tenancy import redis_key


def _key(ticket_id: int) -> str:
    return redis_key("viewing", ticket_id)


def viewing_start(*, ticket_id: int, user_id: int, channel: str) -> None:
    key = _key(ticket_id)
    pipe = redis_client().pipeline()
    pipe.zadd(key, {f"{user_id}|{channel}": time.time()})
    pipe.expire(key, int(settings.REALTIME_PRESENCE_TTL) * 2)
    pipe.execute()


def viewing_stop(*, ticket_id: int, user_id: int, channel: str) -> None:
    redis_client().zrem(_key(ticket_id), f"{user_id}|{channel}")


def viewers_of(ticket_id: int) -> list[dict[str, Any]]:
    """The users with a live socket on the ticket, once each, by name."""
    client = redis_client()
    key = _key(ticket_id)
    cutoff = time.time() - float(settings.REALTIME_PRESENCE_TTL)
    client.zremrangebyscore(key, "-inf", cutoff)
    user_ids = {int(member.split("|", 1)[0]) for member in client.zrange(key, 0, -1)}
    users = User.objects.filter(pk__in=user_ids, is_active=True).order_by("name", "pk")
    return [{"id": user.pk, "name": str(user)} for user in users]
