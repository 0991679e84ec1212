"""The channel layer of every process: channels_redis with one reader per process.

channels_redis already sends a group message once per process: one Redis key per process, the
message naming the process's sockets that are in the group. But each socket receives through its
own ``receive()``, and the sockets of a process take turns holding a lock to read that key and
share out what they read: two tasks, an ``asyncio.wait`` and a lock hand-off for every message and
every socket, the largest part of daphne's time at 500 sockets (docs/performance.md, "Fan-out
II (P7)"). Here one task per process and event loop reads the key and puts each message in the
buffers of the sockets it names; a socket's ``receive()`` only waits on its own buffer.

Everything else is channels_redis's: sending, groups, capacity (a socket's buffer keeps its
newest ``capacity`` messages), expiry, the backup key that keeps a message popped by a cancelled
read. Channels without ``!`` (not process-local) are received as channels_redis does.

A socket's buffer lives from its first ``receive()`` until that receive is cancelled (the
consumer's dispatch loop cancels it when the socket closes). A buffer that nobody has read for
``expiry`` seconds is dropped too: a message for a channel that is already gone, or one whose
consumer ended without cancelling its receive, must not stay in memory for ever. The reader
stops when its loop has no buffer left and starts again with the next ``receive()``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels_redis.core import BoundedQueue, RedisChannelLayer

logger = logging.getLogger(__name__)

READ_RETRY_SECONDS = 1.0  # after a failed read (Redis restarting), before the next one
SWEEP_SECONDS = 5.0  # at most this often the reader looks for abandoned buffers


class _Buffer:
    """One local channel's messages, and when it was last read."""

    __slots__ = ("queue", "readers", "last_read")

    def __init__(self, capacity: int) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = BoundedQueue(capacity)
        self.readers = 0  # receive() calls waiting on it now
        self.last_read = time.monotonic()


class _ProcessReader:
    """The one reader of a process's key on one event loop, and the buffers it fills."""

    def __init__(self, layer: ProcessChannelLayer, loop: asyncio.AbstractEventLoop) -> None:
        self.layer = layer
        self.loop = loop
        self.buffers: dict[str, _Buffer] = {}
        self.task: asyncio.Task[None] | None = None
        self._swept = time.monotonic()

    def alive(self) -> bool:
        return not self.loop.is_closed() and self.task is not None and not self.task.done()

    def buffer(self, channel: str) -> _Buffer:
        buffer = self.buffers.get(channel)
        if buffer is None:
            buffer = self.buffers[channel] = _Buffer(self.layer.get_capacity(channel))
        return buffer

    def ensure_running(self) -> None:
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._read(), name="channel-layer-reader")

    async def receive(self, channel: str) -> dict[str, Any]:
        buffer = self.buffer(channel)
        self.ensure_running()
        buffer.readers += 1
        try:
            return await buffer.queue.get()
        except asyncio.CancelledError:
            # The consumer is done with this channel (channels cancels the pending receive
            # when its socket closes), as channels_redis drops the buffer then.
            self.drop(channel)
            raise
        finally:
            buffer.readers -= 1
            buffer.last_read = time.monotonic()

    def drop(self, channel: str) -> None:
        self.buffers.pop(channel, None)
        if not self.buffers and self.task is not None:
            self.task.cancel()

    async def _read(self) -> None:
        layer = self.layer
        process_channel = f"specific.{layer.client_prefix}!"
        key = layer.prefix + process_channel
        index = layer.consistent_hash(process_channel)
        while self.buffers:
            try:
                content = await layer._brpop_with_clean(index, key, timeout=layer.brpop_timeout)
                if content is not None:
                    self._deliver(layer.deserialize(content))
                    # Awaited here rather than in a detached task: the next read puts whatever
                    # is left in the backup key back in front of the key, so this message must
                    # be out of it first or it would be delivered twice.
                    await layer._clean_receive_backup(index, key)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("channel layer read failed; reading again")
                await asyncio.sleep(READ_RETRY_SECONDS)
            self._sweep()

    def _deliver(self, message: dict[str, Any]) -> None:
        channels = message.pop("__asgi_channel__", [])
        for channel in channels if isinstance(channels, list) else [channels]:
            self.buffer(channel).queue.put_nowait(message)

    def _sweep(self) -> None:
        now = time.monotonic()
        expiry = self.layer.expiry
        if now - self._swept < min(SWEEP_SECONDS, expiry):
            return
        self._swept = now
        for channel, buffer in list(self.buffers.items()):
            if buffer.readers == 0 and now - buffer.last_read > expiry:
                del self.buffers[channel]


class ProcessChannelLayer(RedisChannelLayer):
    """channels_redis's layer whose process-local channels are read by one task per process
    and event loop (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reader: _ProcessReader | None = None

    async def receive(self, channel: str) -> dict[str, Any]:
        if "!" not in channel:
            message: dict[str, Any] = await super().receive(channel)
            return message
        self.require_valid_channel_name(channel)  # raises on a malformed name
        if not self.non_local_name(channel).endswith(self.client_prefix + "!"):
            raise ValueError(f"{channel!r} is not a channel of this process")
        return await self._reader_for(asyncio.get_running_loop()).receive(channel)

    def _reader_for(self, loop: asyncio.AbstractEventLoop) -> _ProcessReader:
        reader = self._reader
        if reader is not None and reader.loop is not loop:
            # Tests run each body on a loop of its own; a reader left on a closed or stopped
            # loop reads nothing any more. Two live loops reading the one process key would
            # split its messages between them, which channels_redis refuses too.
            if reader.alive() and reader.loop.is_running():
                raise RuntimeError(
                    "Two event loops are trying to receive() on one channel layer at once!"
                )
            reader = None
        if reader is None:
            reader = self._reader = _ProcessReader(self, loop)
        return reader

    def reading(self) -> bool:
        """Whether this process's key is being read now."""
        return self._reader is not None and self._reader.alive()

    def local_channels(self) -> list[str]:
        """The process-local channels that hold a buffer on the current reader (for tests and
        diagnostics)."""
        return list(self._reader.buffers) if self._reader is not None else []
