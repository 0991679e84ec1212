"""Typing signals between a web chat visitor and the agents, on the production ASGI stack and
the Redis channel layer: the visitor's typing reaches only the agents who may see their ticket,
the replying agent's typing reaches only that ticket's visitor, never another visitor's,
another ticket's or another tenant's sockets, and nothing is stored."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.tests.webchat_support import (
    make_widget,
    post,
    process,
    ticket_of,
    token_for,
    visitor_socket,
)
from realtime.stream import stream_last_id
from realtime.tests.conftest import drain, open_socket, socket_for
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory

WAIT = 0.4


async def _open_visitor(socket) -> None:
    connected, _ = await socket.connect(timeout=2)
    assert connected
    assert await socket.receive_json_from(timeout=2) == {"type": "hello"}


def _conversation(fixture, widget, name: str, *, agent=None, queue=None) -> tuple[str, Ticket]:
    """A visitor whose first message made a ticket, open with ``agent`` in ``queue``."""
    token = token_for(fixture, widget, name=name)
    assert post(fixture, widget, token, client_id=f"cid-{name}-0001", text="oi").status_code == 202
    process(fixture)
    with tenant_scope(fixture.tenant):
        ticket = Ticket.objects.get(pk=ticket_of(fixture, name))
        ticket.queue = queue
        ticket.assignee = agent
        ticket.status = Ticket.Status.OPEN if agent else Ticket.Status.PENDING
        ticket.save()
        ticket.contact.refresh_from_db()  # read here, inside the tenant
    return token, ticket


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open(monkeypatch):
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


@pytest.fixture
def scene(alpha, beta):
    alpha_widget, beta_widget = make_widget(alpha.tenant), make_widget(beta.tenant)
    with tenant_scope(alpha.tenant):
        sales, support = QueueFactory(), QueueFactory()
        ana = UserFactory(queues=[sales])  # answers Maria
        bia = UserFactory(queues=[sales])  # sees Maria's ticket, does not answer it
        caio = UserFactory(queues=[support])  # answers João, cannot see Maria's ticket
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    maria, maria_ticket = _conversation(alpha, alpha_widget, "Maria", agent=ana, queue=sales)
    joao, joao_ticket = _conversation(alpha, alpha_widget, "Joao", agent=caio, queue=support)
    rosa, _rosa_ticket = _conversation(beta, beta_widget, "Rosa")
    return {
        "agents": {"ana": ana, "bia": bia, "caio": caio},
        "beta_admin": beta_admin,
        "visitors": {
            "maria": (alpha_widget, maria),
            "joao": (alpha_widget, joao),
            "rosa": (beta_widget, rosa),
        },
        "tickets": {"maria": maria_ticket, "joao": joao_ticket},
    }


def _sockets(alpha, beta, scene):
    agents = {name: socket_for(alpha, user) for name, user in scene["agents"].items()}
    agents["beta_admin"] = socket_for(beta, scene["beta_admin"])
    fixtures = {"maria": alpha, "joao": alpha, "rosa": beta}
    visitors = {
        name: visitor_socket(fixtures[name], widget, token)
        for name, (widget, token) in scene["visitors"].items()
    }
    return agents, visitors


def _typing_only(events):
    return [e for e in events if e["type"] in ("typing", "contact.typing")]


def test_the_visitors_typing_reaches_only_the_agents_of_their_ticket(alpha, beta, scene):
    agents, visitors = _sockets(alpha, beta, scene)
    with tenant_scope(alpha.tenant):
        stream_before = stream_last_id()

    async def body():
        for socket in agents.values():
            await open_socket(socket)
        for socket in visitors.values():
            await _open_visitor(socket)
        for socket in agents.values():
            await drain(socket)
        await visitors["maria"].send_json_to({"type": "typing", "typing": True})
        await visitors["maria"].send_json_to({"type": "typing", "typing": True})  # throttled
        await visitors["maria"].send_json_to({"type": "typing", "typing": False})
        await visitors["maria"].send_json_to({"type": "typing", "typing": True})  # throttled
        await visitors["maria"].send_json_to({"type": "typing", "typing": False})  # not shown
        heard = {name: _typing_only(await drain(s, wait=WAIT)) for name, s in agents.items()}
        visitors_heard = {name: await drain(s, wait=WAIT) for name, s in visitors.items()}
        for socket in [*agents.values(), *visitors.values()]:
            await socket.disconnect()
        return heard, visitors_heard

    heard, visitors_heard = async_to_sync(body)()

    ticket = scene["tickets"]["maria"]
    contact = {"id": str(ticket.contact.public_id), "name": "Maria"}
    expected = [
        {"ticket": str(ticket.public_id), "contact": contact, "typing": True},
        {"ticket": str(ticket.public_id), "contact": contact, "typing": False},
    ]
    for name in ("ana", "bia"):  # Maria's agent and a colleague of the queue
        assert [e["data"] for e in heard[name]] == expected
        assert {(e["type"], e["id"]) for e in heard[name]} == {("contact.typing", None)}
    assert heard["caio"] == []  # another queue: may not see Maria's ticket
    assert heard["beta_admin"] == []  # another tenant
    assert visitors_heard == {"maria": [], "joao": [], "rosa": []}  # no echo, no neighbour
    with tenant_scope(alpha.tenant):
        assert stream_last_id() == stream_before  # a signal: never stored for replay


def test_the_replying_agents_typing_reaches_only_that_tickets_visitor(alpha, beta, scene):
    agents, visitors = _sockets(alpha, beta, scene)
    maria_ticket = str(scene["tickets"]["maria"].public_id)
    joao_ticket = str(scene["tickets"]["joao"].public_id)

    async def body():
        for socket in agents.values():
            await open_socket(socket)
        for socket in visitors.values():
            await _open_visitor(socket)
        # Bia may see Maria's ticket but does not answer it; a note is no reply; Maria's
        # ticket id from the other tenant's agent names nothing there.
        await agents["bia"].send_json_to({"type": "typing", "ticket": maria_ticket})
        await agents["ana"].send_json_to({"type": "typing", "ticket": maria_ticket, "note": True})
        await agents["beta_admin"].send_json_to({"type": "typing", "ticket": maria_ticket})
        quiet = {name: await drain(s, wait=WAIT) for name, s in visitors.items()}
        await asyncio.sleep(1.1)  # past Ana's throttle for this ticket
        await agents["ana"].send_json_to({"type": "typing", "ticket": maria_ticket})
        await agents["caio"].send_json_to({"type": "typing", "ticket": joao_ticket})
        await agents["ana"].send_json_to(
            {"type": "typing", "ticket": maria_ticket, "typing": False}
        )
        heard = {name: await drain(s, wait=WAIT) for name, s in visitors.items()}
        for socket in [*agents.values(), *visitors.values()]:
            await socket.disconnect()
        return quiet, heard

    quiet, heard = async_to_sync(body)()

    assert quiet == {"maria": [], "joao": [], "rosa": []}
    typing_on, typing_off = {"type": "typing", "typing": True}, {"type": "typing", "typing": False}
    assert heard == {"maria": [typing_on, typing_off], "joao": [typing_on], "rosa": []}


def test_typing_again_right_after_stopping_is_relayed_when_the_throttle_allows(alpha, beta, scene):
    """A visitor who sends a message and at once types the next one (typing, stopped, typing
    inside a second) is shown typing once the second is over, not left at "stopped"; the same for
    the agent's signals to the visitor."""
    agents, visitors = _sockets(alpha, beta, scene)
    maria_ticket = str(scene["tickets"]["maria"].public_id)

    async def body():
        for socket in agents.values():
            await open_socket(socket)
        for socket in visitors.values():
            await _open_visitor(socket)
        for socket in agents.values():
            await drain(socket)
        for typing in (True, False, True):
            await visitors["maria"].send_json_to({"type": "typing", "typing": typing})
            await agents["ana"].send_json_to(
                {"type": "typing", "ticket": maria_ticket, "typing": typing}
            )
        soon_agent = _typing_only(await drain(agents["ana"], wait=WAIT))
        soon_visitor = await drain(visitors["maria"], wait=WAIT)
        await asyncio.sleep(1.0)
        later_agent = _typing_only(await drain(agents["ana"], wait=WAIT))
        later_visitor = await drain(visitors["maria"], wait=WAIT)
        for socket in [*agents.values(), *visitors.values()]:
            await socket.disconnect()
        return soon_agent, soon_visitor, later_agent, later_visitor

    soon_agent, soon_visitor, later_agent, later_visitor = async_to_sync(body)()

    assert [e["data"]["typing"] for e in soon_agent] == [True, False]
    assert [e["data"]["typing"] for e in later_agent] == [True]
    assert soon_visitor == [{"type": "typing", "typing": True}, {"type": "typing", "typing": False}]
    assert later_visitor == [{"type": "typing", "typing": True}]
