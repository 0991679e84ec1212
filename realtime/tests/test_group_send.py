"""A group send of the channel layer (realtime/channel_layer.py) costs the sender two Redis round
trips, not channels_redis's four, and reaches exactly the group's channels.

Counted on the real Redis channel layer of the settings: every command or pipeline the sending
task writes on the layer's asyncio Redis connections is one round trip (redis-py writes a
pipeline in one go); the process's reader task, reading meanwhile, is not counted, nor is the
handshake of a connection the pool opens meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from redis.asyncio.connection import AbstractConnection

from realtime.groups import everyone_group
from tenants.tenancy import tenant_scope

HANDSHAKE = {b"HELLO", b"CLIENT", b"SELECT", b"AUTH"}


def _command(write: Any) -> bytes:
    """The name of the first command of what a connection wrote (RESP: ``*n $len NAME ...``)."""
    return bytes(b"".join(write).split(b"\r\n")[2]).upper()


def test_a_group_send_takes_two_round_trips_and_reaches_only_its_group(alpha, beta, monkeypatch):
    layer = get_channel_layer()
    with tenant_scope(alpha.tenant):
        alpha_group = everyone_group()
    with tenant_scope(beta.tenant):
        beta_group = everyone_group()
    writes: list[Any] = []
    write = AbstractConnection.send_packed_command
    sender: list[asyncio.Task[Any] | None] = []

    async def counted(self: AbstractConnection, command: Any, *args: Any, **kwargs: Any) -> None:
        if asyncio.current_task() in sender:
            writes.append(command)
        await write(self, command, *args, **kwargs)

    async def body() -> tuple[int, list[dict[str, Any]], bool]:
        alpha_channels = [await layer.new_channel() for _ in range(3)]
        beta_channel = await layer.new_channel()
        for channel in alpha_channels:
            await layer.group_add(alpha_group, channel)
        await layer.group_add(beta_group, beta_channel)
        await layer.group_send(alpha_group, {"type": "warm.up"})  # the pool's connections open
        for channel in alpha_channels:
            await asyncio.wait_for(layer.receive(channel), 2)
        sender.append(asyncio.current_task())
        monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
        await layer.group_send(alpha_group, {"type": "realtime.event", "id": 7})
        monkeypatch.setattr(AbstractConnection, "send_packed_command", write)
        round_trips = len([w for w in writes if _command(w) not in HANDSHAKE])
        received = [await asyncio.wait_for(layer.receive(c), 2) for c in alpha_channels]
        try:
            await asyncio.wait_for(layer.receive(beta_channel), 0.3)
            beta_heard = True
        except TimeoutError:
            beta_heard = False
        for channel in alpha_channels:
            await layer.group_discard(alpha_group, channel)
        await layer.group_discard(beta_group, beta_channel)
        return round_trips, received, beta_heard

    round_trips, received, beta_heard = async_to_sync(body)()

    assert round_trips == 2
    assert [message["id"] for message in received] == [7, 7, 7]
    assert not beta_heard
