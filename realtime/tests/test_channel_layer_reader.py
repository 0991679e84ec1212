"""One reader of the channel layer per process (realtime/channel_layer.py), through real sockets.

Inbox and web chat visitor consumers on the production ASGI application and the Redis channel
layer of the settings: a group message is read from Redis once for the process and handed to the
sockets it names, never to another tenant's; a socket that closes leaves the reader's buffers;
a visitor's socket, which joins its group once, hears its pushes for its whole life whatever the
other sockets do; an event loop that ends with sockets still open ends cleanly, and the next
one reads again. Idle reads are shortened from 5 s to 1 s (the layer's ``brpop_timeout``) so the
reader goes round several times within a test.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.services.webchat import (
    webchat_connection_get,
    webchat_visitor_from_token,
)
from channels_integrations.tests.webchat_support import make_widget, token_for, visitor_socket
from realtime.groups import everyone_group
from realtime.tests.conftest import domain, drain, open_socket, receive, socket_for
from tenants.realtime import visitor_group
from tenants.tenancy import tenant_scope
from tickets.services.messages import note_add
from tickets.tests.factories import QueueFactory, TicketFactory

IDLE_READ = 1  # seconds a read of the process's key blocks when nothing comes


@pytest.fixture
def layer(monkeypatch):
    layer = get_channel_layer()
    monkeypatch.setattr(layer, "brpop_timeout", IDLE_READ)
    return layer


async def _open_visitor(socket) -> None:
    connected, _ = await socket.connect(timeout=2)
    assert connected
    assert await socket.receive_json_from(timeout=2) == {"type": "hello"}


def _visitor(fixture, widget, name: str) -> tuple[str, str]:
    """A visitor's token and the group their sockets join."""
    token = token_for(fixture, widget, name=name)
    with tenant_scope(fixture.tenant):
        connection = webchat_connection_get(widget.public_id)
        visitor = webchat_visitor_from_token(connection=connection, token=token)
        return token, visitor_group(connection.pk, visitor.id)


def _push(text: str) -> dict:
    """What the webchat provider sends a visitor's sockets (channels_integrations)."""
    return {"type": "webchat.message", "message": {"text": text}}


def test_a_group_message_is_read_once_and_wakes_no_receive_tasks_per_socket(
    alpha, layer, django_capture_on_commit_callbacks
):
    # given 20 agents' sockets in one process, all in the tenant's queue
    with tenant_scope(alpha.tenant):
        sales = QueueFactory()
        agents = [UserFactory(queues=[sales]) for _ in range(20)]
        admin = AdminFactory()
        ticket = TicketFactory(queue=sales)
    sockets = [socket_for(alpha, agent) for agent in agents]

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            note_add(ticket=ticket, by=admin, body="para todos")

    async def body():
        for socket in sockets:
            await open_socket(socket)
        for socket in sockets:
            await drain(socket)
        loop = asyncio.get_running_loop()
        created = []

        def counting_factory(loop, coro, **kwargs):
            created.append(getattr(coro, "__qualname__", repr(coro)))
            return asyncio.Task(coro, loop=loop, **kwargs)

        # when one note reaches them all
        loop.set_task_factory(counting_factory)
        try:
            await sync_to_async(produce)()
            events = [(await receive(socket, 1, keep=domain))[0] for socket in sockets]
        finally:
            loop.set_task_factory(None)
        for socket in sockets:
            await socket.disconnect()
        return events, created

    events, created = async_to_sync(body)()

    # then each socket got it, and the channel layer started no task of its own per socket:
    # what is left is channels' one task per message and socket in its dispatch loop (with one
    # receive per socket taking turns on the process's key, it was two more each)
    assert [e["data"]["message"]["body"] for e in events] == ["para todos"] * 20
    assert len(created) < 2 * len(sockets), created


def test_a_group_message_of_one_tenant_never_reaches_another_tenants_sockets(
    alpha, beta, layer, django_capture_on_commit_callbacks
):
    # given sockets of both tenants in one process: agents and web chat visitors
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        ticket = TicketFactory()
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    alpha_widget, beta_widget = make_widget(alpha.tenant), make_widget(beta.tenant)
    maria, maria_group = _visitor(alpha, alpha_widget, "Maria")
    rosa, _rosa_group = _visitor(beta, beta_widget, "Rosa")
    agent_a, agent_b = socket_for(alpha, admin), socket_for(beta, beta_admin)
    visitor_a = visitor_socket(alpha, alpha_widget, maria)
    visitor_b = visitor_socket(beta, beta_widget, rosa)

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            note_add(ticket=ticket, by=admin, body="só alpha")

    async def body():
        await open_socket(agent_a)
        await open_socket(agent_b)
        await _open_visitor(visitor_a)
        await _open_visitor(visitor_b)
        await drain(agent_a)
        await drain(agent_b)
        # when alpha's agents and alpha's visitor get a message each
        await sync_to_async(produce)()
        await layer.group_send(maria_group, _push("olá Maria"))
        seen = {
            "agent_a": await receive(agent_a, 1, keep=domain),
            "visitor_a": await visitor_a.receive_json_from(timeout=2),
            "agent_b": await drain(agent_b, wait=0.5),
            "visitor_b": await drain(visitor_b, wait=0.5),
        }
        for socket in (agent_a, agent_b, visitor_a, visitor_b):
            await socket.disconnect()
        return seen

    seen = async_to_sync(body)()

    # then beta's sockets, read by the same reader, heard nothing
    assert [e["data"]["message"]["body"] for e in seen["agent_a"]] == ["só alpha"]
    assert seen["visitor_a"] == {"type": "message", "message": {"text": "olá Maria"}}
    assert seen["agent_b"] == []
    assert seen["visitor_b"] == []


def test_a_closed_socket_stops_receiving_and_leaves_the_readers_buffers(
    alpha, layer, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        admin, other = AdminFactory(), AdminFactory()
        ticket = TicketFactory()
        everyone = everyone_group()
    leaving, staying = socket_for(alpha, admin), socket_for(alpha, other)

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            note_add(ticket=ticket, by=other, body="depois da saída")

    async def members() -> set[str]:
        connection = layer.connection(layer.consistent_hash(everyone))
        key = layer._group_key(everyone)
        return {name.decode() for name in await connection.zrange(key, 0, -1)}

    async def body():
        before = set(layer.local_channels())
        await open_socket(leaving)
        await open_socket(staying)
        opened = set(layer.local_channels()) - before
        in_group = await members()
        # when one socket closes
        await leaving.disconnect()
        await asyncio.sleep(0.1)
        left = set(layer.local_channels())
        await sync_to_async(produce)()
        heard = await receive(staying, 1, keep=domain)
        await asyncio.sleep(2 * IDLE_READ)
        after_event = set(layer.local_channels())
        members_after = await members()
        await staying.disconnect()
        await asyncio.sleep(0.1)
        return opened, in_group, left, heard, after_event, members_after, layer.reading()

    opened, in_group, left, heard, after_event, members_after, reading = async_to_sync(body)()

    # then its channel left the group and the reader's buffers, and nothing brought it back
    assert len(opened) == 2
    assert opened <= in_group
    [gone] = opened - left
    assert gone not in members_after
    assert gone not in after_event
    assert [e["data"]["message"]["body"] for e in heard] == ["depois da saída"]
    # and with the last socket gone the process reads no more
    assert not (opened & set(layer.local_channels()))
    assert reading is False


def test_a_visitor_socket_hears_its_pushes_for_its_whole_life(alpha, layer):
    # given a visitor's socket, which joins its group once, beside agents' sockets that come
    # and go
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    widget = make_widget(alpha.tenant)
    token, group = _visitor(alpha, widget, "Maria")
    visitor = visitor_socket(alpha, widget, token)
    agents = [socket_for(alpha, admin) for _ in range(4)]

    async def body():
        await _open_visitor(visitor)
        heard = []
        for n, agent in enumerate(agents):
            # when pushes arrive between agents' sockets closing and idle reads of the key
            await layer.group_send(group, _push(f"resposta {n}"))
            heard.append(await visitor.receive_json_from(timeout=2))
            await open_socket(agent)
            await agent.disconnect()
            await asyncio.sleep(1.5 * IDLE_READ)
        await visitor.disconnect()
        return heard

    heard = async_to_sync(body)()

    # then every one reached it, in order
    assert [m["message"]["text"] for m in heard] == [f"resposta {n}" for n in range(4)]


def test_an_event_loop_that_ends_with_sockets_open_ends_and_the_next_one_reads(alpha, layer):
    widget = make_widget(alpha.tenant)
    token, group = _visitor(alpha, widget, "Maria")

    async def left_open() -> None:
        await _open_visitor(visitor_socket(alpha, widget, token))  # never disconnected

    async def next_loop() -> dict:
        socket = visitor_socket(alpha, widget, token)
        await _open_visitor(socket)
        await layer.group_send(group, _push("de novo"))
        message = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return message

    # given a loop that ended while its socket and the reader were still running (the end of
    # a loop cancels its tasks: the reader must let itself be cancelled)
    async_to_sync(left_open)()

    # then a new loop, as the next test's, reads the key again
    assert async_to_sync(next_loop)() == {"type": "message", "message": {"text": "de novo"}}


def test_a_buffer_nobody_reads_is_dropped_after_the_expiry(alpha, layer, monkeypatch):
    # given a message for a channel of this process that no socket reads (its consumer gone)
    monkeypatch.setattr(layer, "expiry", 1)
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    socket = socket_for(alpha, admin)

    async def body():
        await open_socket(socket)  # keeps the reader running
        orphan = await layer.new_channel()
        await layer.send(orphan, {"type": "realtime.ephemeral", "text": "{}"})
        await asyncio.sleep(0.5)
        held = orphan in layer.local_channels()
        # when the reader has gone round past the expiry
        await asyncio.sleep(4 * IDLE_READ)
        kept = orphan in layer.local_channels()
        await socket.disconnect()
        return held, kept

    held, kept = async_to_sync(body)()

    # then the buffer was there, and is gone
    assert held is True
    assert kept is False
