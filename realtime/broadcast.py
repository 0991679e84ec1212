"""Pushing envelopes ``{type, id, ts, data}`` to channel-layer groups.

``broadcast`` numbers and stores the event (``stream.py``) and relays it; ``ephemeral`` relays
typing and viewing signals, which have no id and are never replayed. Both are called after
commit (from domain event handlers) or from a consumer, never inside a transaction.

Inside ``broadcasting_together()`` (the live updates of an inbound batch's events, which the
event bus delivers first: ``DOMAIN_EVENT_EARLY_CONTEXT``) broadcasts are held and sent when the
block exits: their stream appends in one Redis round trip, their group sends in one hand-off to
the sender loop, event after event as before, so every socket still gets them in id order.

The group message carries the frame already encoded (``text``), with beside it only what a
socket's rules read (the id, the type, the sender, the nonce): every socket of a group sends the
same text, so the envelope is encoded once per event instead of once per socket (at 500 sockets
that was 500 ``json.dumps`` of the same dict for each event; docs/performance.md, "Fan-out").
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from realtime.stream import frame_with_id, stream_append_many

EVENT_MESSAGE = "realtime.event"  # consumer method realtime_event
EPHEMERAL_MESSAGE = "realtime.ephemeral"  # consumer method realtime_ephemeral


SEND_TIMEOUT = 5.0  # seconds; the channel layer is local Redis, anything slower is an outage

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _sender_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, on a daemon thread, for sends from synchronous code.

    ``async_to_sync`` from a plain thread would start a fresh loop, and with it fresh Redis
    connections, for every event; this loop keeps the channel layer's connections open.
    Created lazily, so forked workers (gunicorn, Celery) each get their own.
    """
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="realtime-sender", daemon=True).start()
            _loop = loop
        return _loop


def send_from_sync(coroutine: Coroutine[Any, Any, None]) -> None:
    asyncio.run_coroutine_threadsafe(coroutine, _sender_loop()).result(timeout=SEND_TIMEOUT)


def _unique(groups: list[str]) -> list[str]:
    return list(dict.fromkeys(groups))


def event_message(event_id: int, event_type: str, text: str) -> dict[str, Any]:
    """The group message of a numbered event: its frame, and the id and type that the
    consumer's rules read (dedup by id, re-subscribe on ``access.changed``)."""
    return {"type": EVENT_MESSAGE, "id": event_id, "event_type": event_type, "text": text}


# Inside ``broadcasting_together()``: the held broadcasts, ``(type, encoded, groups)`` each.
_held: ContextVar[list[tuple[str, str, list[str]]] | None] = ContextVar(
    "realtime_broadcasts_held", default=None
)


def broadcast(event_type: str, data: dict[str, Any], groups: list[str]) -> None:
    """Number, store and relay one event to ``groups`` (held until the end of a
    ``broadcasting_together()`` block)."""
    groups = _unique(groups)
    encoded = json.dumps(
        {"type": event_type, "ts": timezone.now().isoformat(), "data": data},
        cls=DjangoJSONEncoder,
    )
    held = _held.get()
    if held is not None:
        held.append((event_type, encoded, groups))
        return
    _send_held([(event_type, encoded, groups)])


@contextmanager
def broadcasting_together() -> Iterator[None]:
    """Hold the broadcasts made in the block and send them when it exits (see the module doc);
    nested, the outer block sends them. Nothing is sent when the block raises."""
    if _held.get() is not None:
        yield
        return
    held: list[tuple[str, str, list[str]]] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    if held:
        _send_held(held)


def _send_held(held: list[tuple[str, str, list[str]]]) -> None:
    """Store the broadcasts (one round trip) and send them, each to all its groups in turn."""
    ids = stream_append_many([(encoded, groups) for _, encoded, groups in held])
    sends = [
        (groups, event_message(event_id, event_type, frame_with_id(event_id, encoded)))
        for event_id, (event_type, encoded, groups) in zip(ids, held, strict=True)
    ]
    send_from_sync(_group_sends_in_order(sends))


async def _group_sends_in_order(sends: list[tuple[list[str], dict[str, Any]]]) -> None:
    """Each event to its groups, the next event once the previous one is in every group."""
    for groups, message in sends:
        await group_send_all(groups, message)


def ephemeral_frame(event_type: str, data: dict[str, Any]) -> str:
    """The encoded envelope of a signal without id (``hello``, ``typing``, ``pong``...)."""
    return json.dumps(
        {"type": event_type, "id": None, "ts": timezone.now().isoformat(), "data": data},
        cls=DjangoJSONEncoder,
    )


async def group_send_all(groups: list[str], message: dict[str, Any]) -> None:
    """Send ``message`` to each group, the groups at once (their round trips overlap). A socket
    in two of them may get either copy first; both carry the same id or nonce, so it keeps the
    first, and each group still gets the messages of successive calls in order."""
    layer = get_channel_layer()
    if layer is None:
        return
    await asyncio.gather(*(layer.group_send(group, message) for group in groups))


def ephemeral_from_sync(event_type: str, data: dict[str, Any], groups: list[str]) -> None:
    """``ephemeral`` from synchronous code (a domain event handler): a signal that is never
    stored nor replayed (a QR code to scan now)."""
    send_from_sync(ephemeral(event_type, data, groups))


async def ephemeral(
    event_type: str, data: dict[str, Any], groups: list[str], *, sender: str = ""
) -> None:
    """Relay a signal without id to ``groups`` (``sender``: a channel that must not echo it).
    A socket in two of the groups (a ticket's queue and its assignee's) gets it twice; the
    ``nonce`` lets it drop the second copy, as ``id`` does for numbered events."""
    message = {
        "type": EPHEMERAL_MESSAGE,
        "text": ephemeral_frame(event_type, data),
        "sender": sender,
        "nonce": uuid.uuid4().hex,
    }
    await group_send_all(_unique(groups), message)
