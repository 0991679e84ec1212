"""Presence from sockets and heartbeats (in Redis, with a TTL), typing and viewing signals."""

from __future__ import annotations

from asgiref.sync import async_to_sync, sync_to_async

from accounts.models import User
from accounts.presence import AWAY, OFFLINE, ONLINE, presence_status
from accounts.tests.factories import AdminFactory, UserFactory
from realtime.tasks import presence_sweep_task
from realtime.tests.conftest import TIMEOUT, drain, open_socket, receive, socket_for
from tenants.tenancy import tenant_scope
from tickets.tests.factories import QueueFactory, TicketFactory


def _status(alpha, user: User) -> str:
    with tenant_scope(alpha.tenant):
        return presence_status(user.pk)


def test_presence_follows_sockets_and_heartbeats(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    first, second = socket_for(alpha, agent), socket_for(alpha, agent)

    async def body():
        states = []
        hello = await open_socket(first)
        states.append(hello["data"]["status"])
        await open_socket(second)
        await first.send_json_to({"type": "heartbeat", "status": "away"})
        await drain(first)
        states.append(await sync_to_async(_status)(alpha, agent))  # one socket still online
        await second.send_json_to({"type": "heartbeat", "status": "away"})
        await drain(second)
        states.append(await sync_to_async(_status)(alpha, agent))
        await first.disconnect()
        await second.disconnect()
        states.append(await sync_to_async(_status)(alpha, agent))
        return states

    assert async_to_sync(body)() == [ONLINE, ONLINE, AWAY, OFFLINE]


def test_a_silent_socket_turns_its_user_offline_after_the_ttl(
    alpha, settings, django_capture_on_commit_callbacks
):
    settings.REALTIME_PRESENCE_TTL = 1
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        watcher = AdminFactory()
    silent, observer = socket_for(alpha, agent), socket_for(alpha, watcher)

    def sweep() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return presence_sweep_task.apply().get()

    async def body():
        await open_socket(silent)
        await open_socket(observer)
        before = await sync_to_async(_status)(alpha, agent)
        # The browser vanished: no close, no heartbeat. Within the TTL nothing changes...
        early = await sync_to_async(sweep)()
        import asyncio

        await asyncio.sleep(1.3)
        # ...and after it, the sweeper drops both silent sockets.
        dropped = await sync_to_async(sweep)()
        events = await receive(
            observer,
            1,
            keep=lambda e: e["type"] == "presence.changed" and e["data"]["user"]["id"] == agent.pk,
        )
        after = await sync_to_async(_status)(alpha, agent)
        await silent.disconnect()
        await observer.disconnect()
        return before, early, dropped, events, after

    before, early, dropped, events, after = async_to_sync(body)()

    assert (before, early, after) == (ONLINE, 0, OFFLINE)
    assert dropped == 2  # the observer fell silent too
    assert events[0]["data"]["user"]["status"] == OFFLINE
    with tenant_scope(alpha.tenant):
        assert User.objects.get(pk=agent.pk).last_seen_at is not None


def test_typing_and_viewing_reach_the_tickets_audience_only(alpha):
    with tenant_scope(alpha.tenant):
        sales = QueueFactory()
        ana, bia = UserFactory(queues=[sales]), UserFactory(queues=[sales])
        outsider = UserFactory(queues=[QueueFactory()])
        ticket = TicketFactory(queue=sales)
    ana_socket, bia_socket, out_socket = (socket_for(alpha, u) for u in (ana, bia, outsider))
    public_id = str(ticket.public_id)

    async def body():
        for socket in (ana_socket, bia_socket, out_socket):
            await open_socket(socket)
        await ana_socket.send_json_to({"type": "viewing", "ticket": public_id})
        await ana_socket.send_json_to({"type": "typing", "ticket": public_id})
        await bia_socket.send_json_to({"type": "viewing", "ticket": public_id})
        # the outsider may not see the ticket: their signals about it go nowhere
        await out_socket.send_json_to({"type": "typing", "ticket": public_id})
        await out_socket.send_json_to({"type": "viewing", "ticket": public_id})
        ephemeral = ("typing", "ticket.viewers")
        seen = {}
        # ana's list names both viewers once bia's signal went round (however long that takes
        # on a loaded machine); what came after it is drained too
        received: list[dict] = []
        while not any(
            e["type"] == "ticket.viewers" and len(e["data"]["viewers"]) == 2 for e in received
        ):
            received.append(await ana_socket.receive_json_from(timeout=TIMEOUT))
        received += await drain(ana_socket, wait=0.3)
        seen["ana"] = [e for e in received if e["type"] in ephemeral]
        for name, socket in (("bia", bia_socket), ("out", out_socket)):
            seen[name] = [e for e in await drain(socket, wait=0.3) if e["type"] in ephemeral]
        await bia_socket.disconnect()  # leaving stops viewing
        left = [e for e in await drain(ana_socket, wait=0.3) if e["type"] == "ticket.viewers"]
        await ana_socket.disconnect()
        await out_socket.disconnect()
        return seen, left

    seen, left = async_to_sync(body)()

    typing = [e for e in seen["bia"] if e["type"] == "typing"]
    assert [(e["data"]["user"]["id"], e["id"]) for e in typing] == [(ana.pk, None)]
    assert [e for e in seen["ana"] if e["type"] == "typing"] == []  # no echo to the typist
    viewers = [e["data"]["viewers"] for e in seen["ana"] if e["type"] == "ticket.viewers"]
    assert viewers[-1] == sorted(
        [{"id": ana.pk, "name": str(ana)}, {"id": bia.pk, "name": str(bia)}],
        key=lambda v: (v["name"], v["id"]),
    )
    assert seen["out"] == []
    assert left[-1]["data"]["viewers"] == [{"id": ana.pk, "name": str(ana)}]


def test_a_viewer_whose_ticket_is_transferred_away_leaves_its_viewers(
    alpha, django_capture_on_commit_callbacks
):
    """Ana views a ticket, transfers it to a queue she is not in and moves on: Bruno, its new
    agent, must not keep seeing her as a viewer."""
    from tickets.services.tickets import ticket_transfer

    with tenant_scope(alpha.tenant):
        support, sales = QueueFactory(), QueueFactory()
        ana, bruno = UserFactory(queues=[support]), UserFactory(queues=[sales])
        ticket = TicketFactory(queue=support, status="open", assignee=ana)
    ana_socket, bruno_socket = socket_for(alpha, ana), socket_for(alpha, bruno)
    public_id = str(ticket.public_id)

    def transfer():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            ticket_transfer(ticket=ticket, by=ana, to_queue=sales)

    async def body():
        await open_socket(ana_socket)
        await open_socket(bruno_socket)
        await ana_socket.send_json_to({"type": "viewing", "ticket": public_id})
        await drain(ana_socket, wait=0.3)
        await sync_to_async(transfer)()
        await drain(bruno_socket, wait=0.3)
        await bruno_socket.send_json_to({"type": "viewing", "ticket": public_id})
        await drain(bruno_socket, wait=0.3)
        await ana_socket.send_json_to({"type": "viewing", "ticket": None})  # the panel closed
        left = [e for e in await drain(bruno_socket, wait=0.3) if e["type"] == "ticket.viewers"]
        await ana_socket.disconnect()
        await bruno_socket.disconnect()
        return left

    left = async_to_sync(body)()

    assert left, "Bruno was not told that Ana left"
    assert left[-1]["data"]["viewers"] == [{"id": bruno.pk, "name": str(bruno)}]
