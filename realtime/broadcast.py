"""Pushing envelopes ``{type, id, ts, data}`` to channel-layer groups.

``broadcast`` numbers and stores the event (``stream.py``) and relays it; ``ephemeral`` relays
typing and viewing signals, which have no id and are never replayed. Both are called after
commit (from domain event handlers) or from a consumer, never inside a transaction.

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
from collections.abc import Coroutine
from typing import Any

from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from realtime.stream import frame_with_id, stream_append

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


def broadcast(event_type: str, data: dict[str, Any], groups: list[str]) -> dict[str, Any]:
    """Number, store and relay one event to ``groups``; returns the envelope."""
    groups = _unique(groups)
    encoded = json.dumps(
        {"type": event_type, "ts": timezone.now().isoformat(), "data": data},
        cls=DjangoJSONEncoder,
    )
    event_id = stream_append(encoded, groups)
    text = frame_with_id(event_id, encoded)
    send_from_sync(group_send_all(groups, event_message(event_id, event_type, text)))
    envelope: dict[str, Any] = json.loads(text)
    return envelope


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
