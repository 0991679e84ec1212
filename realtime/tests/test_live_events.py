"""Domain events reach exactly the sockets allowed to see them, after commit, in order, and a
reconnecting socket replays what it missed."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction

from accounts.tests.factories import AdminFactory, UserFactory
from contacts.tests.factories import ContactFactory
from realtime.tests.conftest import domain, drain, open_socket, receive, socket_for
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.services.messages import ReceivedMessage, message_receive, note_add
from tickets.services.queues import queue_members_set
from tickets.services.tickets import ticket_accept, ticket_transfer
from tickets.tests.factories import ConnectionFactory, QueueFactory, TicketFactory


@pytest.fixture
def alpha_desk(alpha):
    """Tenant alpha: a queue with one member, an agent outside it, an admin, a ticket there."""
    with tenant_scope(alpha.tenant):
        sales = QueueFactory(name="Vendas")
        member = UserFactory(queues=[sales])
        outsider = UserFactory(queues=[QueueFactory(name="Suporte")])
        admin = AdminFactory()
        connection = ConnectionFactory(default_queue=sales)
        ticket = TicketFactory(queue=sales, connection=connection)
    return alpha, sales, member, outsider, admin, ticket


def test_isolation_between_tenants_queues_and_roles(
    alpha_desk, beta, django_capture_on_commit_callbacks
):
    alpha, sales, member, outsider, admin, ticket = alpha_desk
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    events = 1000

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            for n in range(events):
                note_add(ticket=ticket, by=admin, body=f"nota {n}")

    sockets = {
        "member": socket_for(alpha, member),
        "outsider": socket_for(alpha, outsider),
        "admin": socket_for(alpha, admin),
        "beta": socket_for(beta, beta_admin),
    }

    async def body():
        for socket in sockets.values():
            await open_socket(socket)
        await sync_to_async(produce)()
        got_admin = await receive(sockets["admin"], events, keep=domain)
        got_member = await receive(sockets["member"], events, keep=domain)
        rest = {name: await drain(sockets[name]) for name in ("outsider", "beta", "admin")}
        for socket in sockets.values():
            await socket.disconnect()
        return got_admin, got_member, rest

    got_admin, got_member, rest = async_to_sync(body)()

    bodies = [f"nota {n}" for n in range(events)]
    assert [e["data"]["message"]["body"] for e in got_admin] == bodies
    assert [e["data"]["message"]["body"] for e in got_member] == bodies
    ids = [e["id"] for e in got_admin]
    assert ids == sorted(ids)  # in order
    assert len(set(ids)) == events  # one copy each
    assert [e for e in rest["outsider"] if domain(e)] == []
    assert rest["beta"] == [] or all(e["type"] == "presence.changed" for e in rest["beta"])
    assert all(e["data"]["user"]["id"] == beta_admin.pk for e in rest["beta"])
    assert [e for e in rest["admin"] if domain(e)] == []  # no duplicates came late either


def test_an_envelope_carries_type_id_ts_and_the_inbox_row(
    alpha_desk, django_capture_on_commit_callbacks
):
    alpha, sales, member, outsider, admin, ticket = alpha_desk

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            message_receive(
                received=ReceivedMessage(
                    connection=ticket.connection,
                    contact=ticket.contact,
                    body="Oi, tudo bem?",
                    provider_message_id="wamid.1",
                )
            )

    socket = socket_for(alpha, member)

    async def body():
        await open_socket(socket)
        await sync_to_async(produce)()
        [event] = await receive(socket, 1, keep=domain)
        await socket.disconnect()
        return event

    event = async_to_sync(body)()

    assert set(event) == {"type", "id", "ts", "data"}
    assert event["type"] == "message.created"
    assert event["data"]["message"]["body"] == "Oi, tudo bem?"
    assert event["data"]["message"]["direction"] == "in"
    assert event["data"]["ticket"]["public_id"] == str(ticket.public_id)
    assert event["data"]["ticket"]["unread_count"] == 1


def test_a_rolled_back_change_emits_nothing(alpha_desk, django_capture_on_commit_callbacks):
    alpha, sales, member, outsider, admin, ticket = alpha_desk

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            try:
                with transaction.atomic():
                    note_add(ticket=ticket, by=admin, body="nunca")
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
            note_add(ticket=ticket, by=admin, body="sim")

    socket = socket_for(alpha, admin)

    async def body():
        await open_socket(socket)
        await sync_to_async(produce)()
        received = [e for e in await drain(socket) if domain(e)]
        await socket.disconnect()
        return received

    received = async_to_sync(body)()

    assert [e["data"]["message"]["body"] for e in received] == ["sim"]


def test_a_transfer_hides_the_ticket_from_the_old_queue_and_shows_it_to_the_new(
    alpha_desk, django_capture_on_commit_callbacks
):
    alpha, sales, member, outsider, admin, ticket = alpha_desk
    with tenant_scope(alpha.tenant):
        support = outsider.queues.get()

    def produce():
        # One transaction each, as in production (handlers read the state after each commit).
        with tenant_scope(alpha.tenant):
            with django_capture_on_commit_callbacks(execute=True):
                ticket_accept(ticket=ticket, by=admin)
            with django_capture_on_commit_callbacks(execute=True):
                ticket_transfer(ticket=ticket, by=admin, to_queue=support)

    old, new = socket_for(alpha, member), socket_for(alpha, outsider)

    async def body():
        await open_socket(old)
        await open_socket(new)
        await sync_to_async(produce)()
        seen_old = [
            (e["type"], e["data"]["ticket"]["public_id"]) for e in await drain(old) if domain(e)
        ]
        seen_new = [e["type"] for e in await drain(new) if domain(e)]
        await old.disconnect()
        await new.disconnect()
        return seen_old, seen_new

    seen_old, seen_new = async_to_sync(body)()

    public_id = str(ticket.public_id)
    assert seen_old == [("ticket.updated", public_id), ("ticket.hidden", public_id)]
    assert seen_new == ["ticket.transferred"]


def test_hidden_assigned_tickets_reach_only_the_assignee_and_admins(
    alpha_desk, django_capture_on_commit_callbacks
):
    alpha, sales, member, outsider, admin, ticket = alpha_desk
    with tenant_scope(alpha.tenant):
        colleague = UserFactory(queues=[sales])
        alpha.tenant.settings = {**alpha.tenant.settings, "hide_tickets_assigned_to_others": True}
        alpha.tenant.save(update_fields=["settings"])

    def produce():
        with tenant_scope(alpha.tenant):
            with django_capture_on_commit_callbacks(execute=True):
                ticket_accept(ticket=ticket, by=member)
            with django_capture_on_commit_callbacks(execute=True):
                note_add(ticket=ticket, by=member, body="só minha")

    sockets = [socket_for(alpha, user) for user in (member, colleague, admin)]

    async def body():
        for socket in sockets:
            await open_socket(socket)
        await sync_to_async(produce)()
        seen = [[e["type"] for e in await drain(s) if domain(e)] for s in sockets]
        for socket in sockets:
            await socket.disconnect()
        return seen

    seen_member, seen_colleague, seen_admin = async_to_sync(body)()

    assert seen_member == ["ticket.updated", "message.created"]
    assert seen_colleague == ["ticket.hidden"]  # it was theirs to take; now it is not
    assert seen_admin == ["ticket.updated", "message.created"]


def test_reconnecting_with_the_last_id_replays_exactly_the_missed_events(
    alpha_desk, django_capture_on_commit_callbacks
):
    alpha, sales, member, outsider, admin, ticket = alpha_desk
    with tenant_scope(alpha.tenant):
        elsewhere = TicketFactory(queue=outsider.queues.get())

    def produce(label: str, count: int, target: Ticket):
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            for n in range(count):
                note_add(ticket=target, by=admin, body=f"{label} {n}")

    first = socket_for(alpha, member)

    async def body():
        await open_socket(first)
        await sync_to_async(produce)("antes", 3, ticket)
        seen = await receive(first, 3, keep=domain)
        await first.disconnect()
        # While the member is away: 4 events of their queue, 5 of a queue they are not in.
        await sync_to_async(produce)("fora", 4, ticket)
        await sync_to_async(produce)("alheio", 5, elsewhere)
        second = await sync_to_async(socket_for)(
            alpha, member, query=f"last_event_id={seen[-1]['id']}"
        )
        await open_socket(second)
        replayed = [e for e in await drain(second) if domain(e)]
        await sync_to_async(produce)("depois", 1, ticket)
        live = await receive(second, 1, keep=domain)
        await second.disconnect()
        return seen, replayed, live

    seen, replayed, live = async_to_sync(body)()

    assert [e["data"]["message"]["body"] for e in replayed] == [f"fora {n}" for n in range(4)]
    assert [e["id"] for e in replayed] == sorted(e["id"] for e in replayed)
    assert replayed[0]["id"] > seen[-1]["id"]
    assert live[0]["data"]["message"]["body"] == "depois 0"


def test_a_last_id_too_old_or_unknown_gets_a_resync(
    alpha_desk, settings, django_capture_on_commit_callbacks
):
    alpha, sales, member, outsider, admin, ticket = alpha_desk
    settings.REALTIME_REPLAY_LIMIT = 5

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            for n in range(8):
                note_add(ticket=ticket, by=admin, body=f"n{n}")

    async def body():
        await sync_to_async(produce)()
        answers = []
        for last_id in (0, 10_000):
            socket = await sync_to_async(socket_for)(
                alpha, member, query=f"last_event_id={last_id}"
            )
            hello = await open_socket(socket)
            answers.append((hello["data"]["last_event_id"], await drain(socket)))
            await socket.disconnect()
        return answers

    (current, too_old), (_, unknown) = async_to_sync(body)()

    assert current >= 8
    for received in (too_old, unknown):
        resync = [e for e in received if e["type"] == "resync"]
        assert resync == [
            {
                "type": "resync",
                "id": None,
                "ts": resync[0]["ts"],
                "data": {"last_event_id": current},
            }
        ]
        assert [e for e in received if domain(e)] == []


def test_joining_a_queue_subscribes_open_sockets_at_once(
    alpha_desk, django_capture_on_commit_callbacks
):
    alpha, sales, member, outsider, admin, ticket = alpha_desk

    def join():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            queue_members_set(queue=sales, agent_ids=[member.pk, outsider.pk], by=admin)

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            note_add(ticket=ticket, by=admin, body="agora você vê")

    socket = socket_for(alpha, outsider)

    async def body():
        await open_socket(socket)
        await sync_to_async(produce)()
        before = [e for e in await drain(socket) if domain(e)]
        await sync_to_async(join)()
        # The client reloads its inbox on access.changed; what follows arrives live.
        changed = [e["type"] for e in await drain(socket) if domain(e)]
        await sync_to_async(produce)()
        after = changed + [e["type"] for e in await drain(socket) if domain(e)]
        await socket.disconnect()
        return before, after

    before, after = async_to_sync(body)()

    assert before == []
    assert after == ["access.changed", "message.created"]


def test_an_integrator_token_streams_what_its_user_may_see(
    alpha_desk, django_capture_on_commit_callbacks
):
    """An API user (JWT from /api/v1/auth/token/) on the same socket: the same rules apply."""
    alpha, sales, member, outsider, admin, ticket = alpha_desk
    with tenant_scope(alpha.tenant):
        contact = ContactFactory()

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            message_receive(
                received=ReceivedMessage(
                    connection=ticket.connection, contact=contact, body="novo cliente"
                )
            )

    socket = socket_for(alpha, member)

    async def body():
        await open_socket(socket)
        await sync_to_async(produce)()
        types = [e["type"] for e in await drain(socket) if domain(e)]
        await socket.disconnect()
        return types

    assert async_to_sync(body)() == ["ticket.created", "message.created"]


def test_a_socket_idle_longer_than_the_layers_blocking_receive_stays_alive(
    alpha_desk, django_capture_on_commit_callbacks
):
    """The channel layer blocks 5 s per receive; a client read timeout of 5 s (redis-py 8's
    default) used to crash every socket idle that long with close code 1011."""
    alpha, sales, member, outsider, admin, ticket = alpha_desk
    socket = socket_for(alpha, member)

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            note_add(ticket=ticket, by=admin, body="ainda aí?")

    async def body():
        import asyncio

        await open_socket(socket)
        await asyncio.sleep(6.5)
        await sync_to_async(produce)()
        [event] = await receive(socket, 1, keep=domain)
        await socket.disconnect()
        return event

    assert async_to_sync(body)()["data"]["message"]["body"] == "ainda aí?"
