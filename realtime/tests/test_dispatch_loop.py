"""The inbox socket's dispatch loop (``ProcessChannelLayer.dispatch_local``), through real sockets.

Inbox sockets on the production ASGI application and the Redis channel layer of the settings
read their channel straight from the reader's buffer: an event reaching many sockets starts no
task per socket; events buffered while a handler waits are handled after it, in order, once
each; the socket's own messages keep their turn among a stream of events; a socket closed in the
middle of a stream (by the client, or by a group message) leaves no buffer and no task behind.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from accounts.tests.factories import AdminFactory, UserFactory
from realtime.tests.conftest import domain, drain, open_socket, receive, socket_for
from tenants.realtime import CLOSE_FORBIDDEN, USER_SOCKETS_GROUP
from tenants.tenancy import group_name, tenant_scope
from tickets.services.messages import note_add
from tickets.tests.factories import QueueFactory, TicketFactory

IDLE_READ = 1  # seconds a read of the process's key blocks when nothing comes
REDIS_CLIENT = "AbstractConnection."  # redis-py's tasks, sending the reader's commands


@pytest.fixture
def layer(monkeypatch):
    layer = get_channel_layer()
    monkeypatch.setattr(layer, "brpop_timeout", IDLE_READ)
    return layer


def _bodies(events: list[dict]) -> list[str]:
    return [event["data"]["message"]["body"] for event in events]


def _other_tasks() -> set[asyncio.Task]:
    return asyncio.all_tasks() - {asyncio.current_task()}


def test_an_event_for_many_sockets_starts_no_task_per_socket(
    alpha, layer, django_capture_on_commit_callbacks
):
    # given 20 agents' sockets in one process, all in the tenant's queue
    with tenant_scope(alpha.tenant):
        sales = QueueFactory()
        agents = [UserFactory(queues=[sales]) for _ in range(20)]
        admin = AdminFactory()
        ticket = TicketFactory(queue=sales)
    sockets = [socket_for(alpha, agent) for agent in agents]

    def produce(count: int) -> None:
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            for n in range(count):
                note_add(ticket=ticket, by=admin, body=f"nota {n}")

    async def body():
        for socket in sockets:
            await open_socket(socket)
        for socket in sockets:
            await drain(socket)
        loop = asyncio.get_running_loop()
        created: list[str] = []

        def counting_factory(loop, coro, **kwargs):
            created.append(getattr(coro, "__qualname__", repr(coro)))
            return asyncio.Task(coro, loop=loop, **kwargs)

        # when three notes reach them all
        loop.set_task_factory(counting_factory)
        try:
            await sync_to_async(produce)(3)
            events = [await receive(socket, 3, keep=domain) for socket in sockets]
        finally:
            loop.set_task_factory(None)
        for socket in sockets:
            await socket.disconnect()
        return events, created

    events, created = async_to_sync(body)()

    # then every socket got the three, and no task was started for any of the 60 deliveries
    # (channels' dispatch loop starts one per event and socket: 60 here); what is left is the
    # Redis client's, for the one reader of the process
    assert [_bodies(socket_events) for socket_events in events] == [
        ["nota 0", "nota 1", "nota 2"]
    ] * 20
    assert len(created) < len(sockets), created
    assert [name for name in created if not name.startswith(REDIS_CLIENT)] == []


def test_events_buffered_while_a_handler_waits_follow_it_in_order_once_each(
    alpha, layer, django_capture_on_commit_callbacks
):
    # given a socket whose consumer is busy with its client's heartbeat: a database call that
    # waits for the one thread the test's notes below run on, so the notes reach the socket's
    # buffer while that handler waits
    with tenant_scope(alpha.tenant):
        admin, author = AdminFactory(), AdminFactory()
        ticket = TicketFactory()
    socket = socket_for(alpha, admin)

    def produce() -> None:
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            for n in range(30):
                note_add(ticket=ticket, by=author, body=f"nota {n}")

    async def body():
        await open_socket(socket)
        await drain(socket)
        # when 30 notes come while a heartbeat and a ping wait, and a ping follows them
        await socket.send_json_to({"type": "heartbeat", "status": "away"})
        await socket.send_json_to({"type": "ping"})
        await sync_to_async(produce)()
        await socket.send_json_to({"type": "ping"})
        frames = await receive(socket, 32, keep=lambda f: f["type"] == "pong" or domain(f))
        frames += await drain(socket, wait=0.5)
        await socket.disconnect()
        return frames

    frames = async_to_sync(body)()

    # then every note came once and in order, and both pings were answered
    assert [f["type"] for f in frames].count("pong") == 2
    notes = [f for f in frames if domain(f)]
    assert _bodies(notes) == [f"nota {n}" for n in range(30)]
    ids = [f["id"] for f in notes]
    assert ids == sorted(set(ids))


def test_a_socket_closed_in_the_middle_of_a_stream_leaves_nothing_behind(
    alpha, layer, django_capture_on_commit_callbacks
):
    # given two sockets hearing a stream of notes; one of them is then closed by its client,
    # and the other by a group message (the user's sockets are closed when they are
    # deactivated)
    with tenant_scope(alpha.tenant):
        admin, author = AdminFactory(), AdminFactory()
        ticket = TicketFactory()
        user_sockets = group_name(USER_SOCKETS_GROUP, admin.pk)
    by_client, by_server = socket_for(alpha, admin), socket_for(alpha, admin)

    def produce() -> None:
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            for n in range(20):
                note_add(ticket=ticket, by=author, body=f"nota {n}")

    async def body():
        before = set(layer.local_channels())
        tasks_before = _other_tasks()
        await open_socket(by_client)
        await open_socket(by_server)
        opened = set(layer.local_channels()) - before
        stream = asyncio.ensure_future(sync_to_async(produce)())
        # when the client closes one and the server the other while the notes flow
        await receive(by_client, 1, keep=domain)
        await by_client.disconnect()
        await receive(by_server, 1, keep=domain)
        await layer.group_send(user_sockets, {"type": "sockets.disconnect", "code": 4403})
        closed = None
        while closed is None:
            output = await by_server.receive_output(timeout=2)
            if output["type"] == "websocket.close":
                closed = output
        await by_server.send_input({"type": "websocket.disconnect", "code": 4403})
        await by_server.wait(timeout=2)
        await stream
        await asyncio.sleep(2 * IDLE_READ)
        left = set(layer.local_channels()) & opened
        tasks_left = [t for t in _other_tasks() - tasks_before if not t.done()]
        return opened, closed, left, tasks_left, layer.reading()

    opened, closed, left, tasks_left, reading = async_to_sync(body)()

    # then both closed, their buffers are gone, no task of theirs is left, and the process
    # reads no more
    assert len(opened) == 2
    assert closed == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    assert left == set()
    assert tasks_left == []
    assert reading is False
