"""The tenant's event stream in Redis: a per-tenant monotonic id and the recent envelopes.

Each broadcast takes the next id and appends the envelope, with the groups it went to, in one
atomic script, so ids are gap-free and the stream is in id order. A reconnecting socket reads
what it missed from here (``events_since``); older events are trimmed (``REALTIME_STREAM_LENGTH``)
and a socket that fell further behind is told to resync.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from django.conf import settings

from core.redis import redis_client
from tenants.tenancy import redis_key

# KEYS: counter, stream. ARGV: envelope JSON (without id), groups (comma-joined), max length.
_APPEND = """
local id = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id .. '-0', 'e', ARGV[1], 'g', ARGV[2])
return id
"""


class Frame(NamedTuple):
    """A numbered event as a socket sends it: ``text`` is the whole encoded envelope."""

    id: int
    type: str
    text: str


def frame_with_id(event_id: int, encoded: str) -> str:
    """The envelope ``encoded`` (a JSON object without its id) with ``"id"`` as its first key.

    The same text as ``json.dumps({"id": event_id, **json.loads(encoded)})``, without decoding
    and encoding the envelope again.
    """
    return f'{{"id": {event_id:d}, {encoded[1:]}'


def _keys() -> tuple[str, str]:
    return redis_key("realtime", "seq"), redis_key("realtime", "stream")


def stream_append_many(envelopes: list[tuple[str, list[str]]]) -> list[int]:
    """Store several envelopes (each with its groups) in one round trip; their ids, in order
    (increasing: the scripts run one after the other)."""
    counter, stream = _keys()
    pipe = redis_client().pipeline(transaction=False)
    for encoded, groups in envelopes:
        pipe.eval(
            _APPEND, 2, counter, stream, encoded, ",".join(groups), settings.REALTIME_STREAM_LENGTH
        )
    return [int(event_id) for event_id in pipe.execute()]


def stream_last_id() -> int:
    """The id of the tenant's latest event (0 before the first one)."""
    counter, _ = _keys()
    value = redis_client().get(counter)
    return int(value) if value else 0


def events_since(last_id: int, groups: set[str]) -> list[Frame] | None:
    """Frames after ``last_id`` sent to any of ``groups``, in id order; ``None`` when they
    cannot all be replayed (trimmed away, too many, or an id from before a Redis reset)."""
    counter, stream = _keys()
    client = redis_client()
    current = int(client.get(counter) or 0)
    if last_id > current or last_id < 0:
        return None
    if last_id == current:
        return []
    limit = settings.REALTIME_REPLAY_LIMIT
    if current - last_id > limit:
        return None
    entries = client.xrange(stream, min=f"{last_id + 1}-0", max="+", count=limit)
    if not entries or int(entries[0][0].split("-")[0]) != last_id + 1:
        return None  # the first missed event was trimmed away
    replay = []
    for entry_id, fields in entries:
        sent_to = fields["g"].split(",")
        if groups.isdisjoint(sent_to):
            continue
        event_id = int(entry_id.split("-")[0])
        event_type = json.loads(fields["e"])["type"]
        replay.append(Frame(event_id, event_type, frame_with_id(event_id, fields["e"])))
    return replay
