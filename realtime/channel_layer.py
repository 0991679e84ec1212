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
read. Channels without ``!`` (not process-local) are received as channels_redis does. Only
``group_send`` is written again, for its round trips: channels_redis's takes four (drop the
group's expired members, read the members, drop each target key's expired messages, add the
message), each a wait for the sender (an inbound worker sends two per live event,
docs/performance.md "Inbound latency"); here the first two go in one pipeline and the last two
in one script, with the same effects.

A socket's buffer lives from its first ``receive()`` until that receive is cancelled (the
consumer's dispatch loop cancels it when the socket closes). A buffer that nobody has read for
``expiry`` seconds is dropped too: a message for a channel that is already gone, or one whose
consumer ended without cancelling its receive, must not stay in memory for ever. The reader
stops when its loop has no buffer left and starts again with the next ``receive()``.

A consumer may also read its channel through ``dispatch_local`` instead of channels'
``await_many_dispatch``: its handlers are then called straight from the buffer, every message
already there in one go, with no task per message (the inbox consumer, realtime/consumers.py;
docs/performance.md, "Fan-out III (P7)"). Its buffer lives as long as that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from channels_redis.core import RedisChannelLayer

logger = logging.getLogger(__name__)

# KEYS: the target channel keys (sorted sets of messages). ARGV: one message per key, then one
# capacity per key, then the time now and the layer's expiry. Each key first loses its messages
# older than the expiry; a key already holding its capacity is skipped and counted.
_GROUP_ADD = """
local n = #KEYS
local now = tonumber(ARGV[2 * n + 1])
local expiry = tonumber(ARGV[2 * n + 2])
local full = 0
for i = 1, n do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, math.floor(now) - expiry)
    if redis.call('ZCARD', KEYS[i]) < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], now, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        full = full + 1
    end
end
return full
"""

READ_RETRY_SECONDS = 1.0  # after a failed read (Redis restarting), before the next one
SWEEP_SECONDS = 5.0  # at most this often the reader looks for abandoned buffers
# A socket's dispatch loop hands at most this many buffered messages to its handlers before it
# looks at the socket's own messages again.
DISPATCH_BATCH = 64

Receive = Callable[[], Awaitable[dict[str, Any]]]
Dispatch = Callable[[dict[str, Any]], Awaitable[None]]


class _Buffer:
    """One local channel's messages (its newest ``capacity``, as channels_redis's buffer keeps),
    the futures waiting for the next one, and when it was last read."""

    __slots__ = ("messages", "waiters", "readers", "last_read")

    def __init__(self, capacity: int) -> None:
        self.messages: deque[dict[str, Any]] = deque(maxlen=capacity)
        self.waiters: list[asyncio.Future[None]] = []
        self.readers = 0  # receive() calls or dispatch loops waiting on it now
        self.last_read = time.monotonic()

    def put(self, message: dict[str, Any]) -> None:
        self.messages.append(message)  # past the capacity, the oldest is dropped
        self.wake()

    def wake(self, _: object = None) -> None:
        """Resolve whoever waits on this buffer (also a socket's own receive, see
        ``dispatch_local``)."""
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def next_put(self) -> asyncio.Future[None]:
        """A future resolved at the next ``put()`` or ``wake()``: one for each waiter, so that
        cancelling one waiter never cancels another's wait."""
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        return waiter


class _ProcessReader:
    """The one reader of a process's key on one event loop, and the buffers it fills."""

    def __init__(self, layer: ProcessChannelLayer, loop: asyncio.AbstractEventLoop) -> None:
        self.layer = layer
        self.loop = loop
        self.buffers: dict[str, _Buffer] = {}
        # Channels whose dispatch loop has ended, and when: a message already on its way to one
        # of them (sent before its socket left its groups) is dropped, not kept in a new buffer
        # until the expiry. Channel names are never used twice. (A cancelled ``receive()`` may
        # be followed by another on the same channel, so it does not close its channel.)
        self.closed: dict[str, float] = {}
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
            while not buffer.messages:
                await buffer.next_put()
            return buffer.messages.popleft()
        except asyncio.CancelledError:
            # The consumer is done with this channel (channels cancels the pending receive
            # when its socket closes), as channels_redis drops the buffer then.
            self.drop(channel)
            raise
        finally:
            buffer.readers -= 1
            buffer.last_read = time.monotonic()

    async def dispatch_local(
        self, channel: str, receive: Receive, dispatch: Dispatch, batch: int
    ) -> None:
        """See ``ProcessChannelLayer.dispatch_local``."""
        buffer = self.buffer(channel)
        self.ensure_running()
        buffer.readers += 1  # held for the whole loop: never swept
        messages = buffer.messages
        client: asyncio.Future[dict[str, Any]] | None = None
        try:
            client = asyncio.ensure_future(receive())
            client.add_done_callback(buffer.wake)
            while True:
                if client.done():
                    done, client = client, None
                    await dispatch(done.result())
                    client = asyncio.ensure_future(receive())
                    client.add_done_callback(buffer.wake)
                    continue
                if not messages:
                    await buffer.next_put()
                    continue
                # The messages already here, oldest first, without a wait between them: the
                # frames they send leave in one write of the socket. Bounded, so the socket's
                # own messages (a close) are not kept waiting behind a stream of events.
                for _ in range(min(len(messages), batch)):
                    if not messages:  # a handler's wait let the capacity drop some
                        break
                    await dispatch(messages.popleft())
        finally:
            if client is not None:
                client.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await client
            buffer.readers -= 1
            self.drop(channel, closed=True)

    def drop(self, channel: str, *, closed: bool = False) -> None:
        self.buffers.pop(channel, None)
        if closed:
            self.closed[channel] = time.monotonic()
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
            if channel not in self.closed:
                self.buffer(channel).put(message)

    def _sweep(self) -> None:
        now = time.monotonic()
        expiry = self.layer.expiry
        if now - self._swept < min(SWEEP_SECONDS, expiry):
            return
        self._swept = now
        for channel, buffer in list(self.buffers.items()):
            if buffer.readers == 0 and now - buffer.last_read > expiry:
                del self.buffers[channel]
        # A message is not delivered past the expiry: no need to remember longer.
        self.closed = {c: at for c, at in self.closed.items() if now - at <= expiry}


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

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Send ``message`` to every channel of ``group``: channels_redis's effects (expired
        members and messages dropped, a full channel skipped) in two round trips (see the
        module docstring)."""
        self.require_valid_group_name(group)  # raises on a malformed name
        key = self._group_key(group)
        pipe = self.connection(self.consistent_hash(group)).pipeline(transaction=False)
        pipe.zremrangebyscore(key, min=0, max=int(time.time()) - self.group_expiry)
        pipe.zrange(key, 0, -1)
        _, members = await pipe.execute()
        channels = [member.decode("utf8") for member in members]
        by_connection, messages, capacities = self._map_channel_keys_to_connection(
            channels, message
        )
        for index, keys in by_connection.items():
            full = await self.connection(index).eval(
                _GROUP_ADD,
                len(keys),
                *keys,
                *[messages[k] for k in keys],
                *[capacities[k] for k in keys],
                time.time(),
                int(self.expiry),
            )
            if full:
                logger.info("%s of %s channels over capacity in group %s", full, len(keys), group)

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

    async def dispatch_local(
        self, channel: str, receive: Receive, dispatch: Dispatch, *, batch: int = DISPATCH_BATCH
    ) -> None:
        """Channels' ``await_many_dispatch([receive, channel receive], dispatch)`` for a
        process-local channel, without a task per message.

        Channels' loop starts a task for each message the channel receives and waits on it and
        on the socket's receive task with ``asyncio.wait``; here the loop waits on a future that
        either a message put in the channel's buffer or the socket's own message resolves, then
        hands every message already buffered to ``dispatch``. What stays the same: one handler
        at a time, in the order the messages came; the socket's messages (its receive is still
        one task at a time) before the buffer's when both are there; an exception from a
        handler (``StopConsumer``) or the cancellation of the consumer ends the loop, cancels
        the socket's pending receive and drops the channel's buffer.
        """
        self.require_valid_channel_name(channel)
        if not self.non_local_name(channel).endswith(self.client_prefix + "!"):
            raise ValueError(f"{channel!r} is not a channel of this process")
        reader = self._reader_for(asyncio.get_running_loop())
        await reader.dispatch_local(channel, receive, dispatch, batch)

    def reading(self) -> bool:
        """Whether this process's key is being read now."""
        return self._reader is not None and self._reader.alive()

    def local_channels(self) -> list[str]:
        """The process-local channels that hold a buffer on the current reader (for tests and
        diagnostics)."""
        return list(self._reader.buffers) if self._reader is not None else []
