"""A socket open longer than the channel layer's ``group_expiry`` still receives its events.

The layer forgets a group member ``group_expiry`` seconds after it joined (channels_redis drops
older members at every ``group_send``); the consumer joins its groups again well before that.
The test shortens the real layer's expiry to 2 seconds instead of waiting for the configured one.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from accounts.tests.factories import AdminFactory, UserFactory
from realtime.tests.conftest import domain, drain, open_socket, receive, socket_for
from tenants.tenancy import tenant_scope
from tickets.services.messages import note_add
from tickets.services.queues import queue_members_set
from tickets.tests.factories import QueueFactory, TicketFactory

EXPIRY = 2


@pytest.fixture
def short_group_expiry(monkeypatch):
    monkeypatch.setattr(get_channel_layer(), "group_expiry", EXPIRY)


def test_a_socket_open_past_the_group_expiry_still_receives_events(
    alpha, beta, short_group_expiry, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        sales = QueueFactory(name="Vendas")
        agent = UserFactory(queues=[sales])
        admin = AdminFactory()
        ticket = TicketFactory(queue=sales)
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            note_add(ticket=ticket, by=admin, body="depois da expiração")

    sockets = {"agent": socket_for(alpha, agent), "beta": socket_for(beta, beta_admin)}

    async def body():
        for socket in sockets.values():
            await open_socket(socket)
        await asyncio.sleep(2 * EXPIRY)  # every first membership is older than the expiry
        await sync_to_async(produce)()
        [event] = await receive(sockets["agent"], 1, keep=domain)
        beta_got = await drain(sockets["beta"])
        for socket in sockets.values():
            await socket.disconnect()
        return event, beta_got

    event, beta_got = async_to_sync(body)()

    assert event["type"] == "message.created"
    assert event["data"]["message"]["body"] == "depois da expiração"
    assert [e for e in beta_got if domain(e)] == []


def test_the_refresh_never_rejoins_a_queue_the_agent_left(
    alpha, short_group_expiry, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        sales, support = QueueFactory(name="Vendas"), QueueFactory(name="Suporte")
        agent = UserFactory(queues=[sales, support])
        admin = AdminFactory()
        ticket = TicketFactory(queue=sales)

    def leave_sales():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            queue_members_set(queue=sales, agent_ids=[], by=admin)

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            note_add(ticket=ticket, by=admin, body="não é mais sua fila")

    socket = socket_for(alpha, agent)

    async def body():
        await open_socket(socket)
        await sync_to_async(leave_sales)()
        [changed] = await receive(socket, 1, keep=lambda e: e["type"] == "access.changed")
        await asyncio.sleep(2 * EXPIRY)  # several refreshes after the re-subscription
        await sync_to_async(produce)()
        later = await drain(socket, wait=0.5)
        await socket.disconnect()
        return changed, later

    changed, later = async_to_sync(body)()

    assert changed["type"] == "access.changed"
    assert [e for e in later if domain(e)] == []
