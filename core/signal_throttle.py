"""Bounded relaying of on/off signals ("typing", "stopped") from one socket.

At most one "on" per key goes out per interval, and an "off" goes out only after an "on" did, so a
client that floods alternating signals costs no more than a steady typist. An "on" that comes too
soon after an "off" (a visitor sends a message and at once types the next) is not dropped: it goes
out when the interval ends, if the client is still "on" then; otherwise the other side would see
"stopped" while the person is typing, until their next signal.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

Relay = Callable[[str, bool, Any], Awaitable[None]]


class SignalThrottle:
    """Per-socket throttle: ``await throttle.signal(key, on, extra)``; ``relay(key, on, extra)``
    is awaited for each signal that goes out (``extra`` is the last one given for the key).
    Call ``cancel()`` when the socket closes."""

    def __init__(self, interval: float, relay: Relay) -> None:
        self._interval = interval
        self._relay = relay
        self._sent_at: dict[str, float] = {}
        self._shown: dict[str, bool] = {}
        self._wanted: dict[str, tuple[bool, Any]] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}

    async def signal(self, key: str, on: bool, extra: Any = None) -> None:
        self._wanted[key] = (on, extra)
        if not on:
            if self._shown.get(key):
                self._shown[key] = False
                await self._relay(key, False, extra)
            return
        wait = self._sent_at.get(key, -math.inf) + self._interval - time.monotonic()
        if wait <= 0:
            await self._send_on(key, extra)
        elif not self._shown.get(key) and key not in self._pending:
            self._pending[key] = asyncio.create_task(self._later(key, wait))

    def cancel(self) -> None:
        for task in self._pending.values():
            task.cancel()
        self._pending.clear()

    async def _send_on(self, key: str, extra: Any) -> None:
        self._sent_at[key] = time.monotonic()
        self._shown[key] = True
        await self._relay(key, True, extra)

    async def _later(self, key: str, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
        finally:
            self._pending.pop(key, None)
        on, extra = self._wanted.get(key, (False, None))
        if on and not self._shown.get(key):
            await self._send_on(key, extra)
