"""Group messages carry the frame encoded once; every socket sends that text as it is.

The frames must stay exactly what a socket sent when each consumer encoded the envelope itself
(``json.dumps`` of ``{"id", "type", "ts", "data"}``), whether live, replayed or a signal; and the
per-socket rules (one copy per id, no echo to the typist) still hold.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.testing import WebsocketCommunicator

from accounts.tests.factories import AdminFactory, UserFactory
from core.redis import redis_client
from realtime.stream import stream_last_id
from realtime.tests.conftest import TIMEOUT, open_socket, socket_for
from tenants.tenancy import redis_key, tenant_scope
from tickets.services.messages import note_add
from tickets.tests.factories import QueueFactory, TicketFactory

NOTES = ["Olá, ação à vista", 'aspas " e \\ barra', "emoji 🎫 e \u2028 separador"]


async def texts(socket: WebsocketCommunicator, *, wait: float = 0.3) -> list[str]:
    """The raw text of every frame until the socket has been quiet for ``wait`` seconds."""
    received = []
    while not await socket.receive_nothing(timeout=wait):
        received.append(await socket.receive_from(timeout=TIMEOUT))
    return received


def stored_envelopes(fixture) -> dict[int, str]:
    """The tenant's stream: id -> the envelope as stored (JSON without its id)."""
    with tenant_scope(fixture.tenant):
        entries = redis_client().xrange(redis_key("realtime", "stream"))
    return {int(entry_id.split("-")[0]): fields["e"] for entry_id, fields in entries}


def numbered(frames: list[str]) -> list[str]:
    return [text for text in frames if json.loads(text)["id"] is not None]


def notes(frames: list[str]) -> list[str]:
    return [text for text in frames if json.loads(text)["type"] == "message.created"]


def as_each_socket_encoded_it(fixture, frames: list[str]) -> list[str]:
    """What the consumer sent before: its own ``json.dumps`` of the envelope, id first."""
    stored = stored_envelopes(fixture)
    ids = [json.loads(text)["id"] for text in frames]
    return [json.dumps({"id": event_id, **json.loads(stored[event_id])}) for event_id in ids]


@pytest.fixture
def encodes(monkeypatch):
    """Counts the JSON encodings a consumer does for its socket (``send_json``)."""
    calls = []
    original = AsyncJsonWebsocketConsumer.encode_json.__func__

    def counting(cls, content):
        calls.append(content)
        return original(cls, content)

    monkeypatch.setattr(AsyncJsonWebsocketConsumer, "encode_json", classmethod(counting))
    return calls


@pytest.fixture
def alpha_queue(alpha):
    with tenant_scope(alpha.tenant):
        sales = QueueFactory(name="Vendas")
        ana, bia = UserFactory(queues=[sales]), UserFactory(queues=[sales])
        admin = AdminFactory()
        ticket = TicketFactory(queue=sales)
    return alpha, ana, bia, admin, ticket


def test_live_and_replayed_frames_are_the_json_each_socket_used_to_encode(
    alpha_queue, encodes, django_capture_on_commit_callbacks
):
    alpha, ana, bia, admin, ticket = alpha_queue

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            for body in NOTES:
                note_add(ticket=ticket, by=admin, body=body)

    live = {"ana": socket_for(alpha, ana), "admin": socket_for(alpha, admin)}
    with tenant_scope(alpha.tenant):
        start = stream_last_id()
    # A socket that saw none of them reconnects from the id before the notes.
    late = socket_for(alpha, bia, query=f"last_event_id={start}")

    async def body():
        for socket in live.values():
            await open_socket(socket)
        await sync_to_async(produce)()
        got = {name: numbered(await texts(socket)) for name, socket in live.items()}
        await open_socket(late)
        got["replayed"] = numbered(await texts(late))
        for socket in [*live.values(), late]:
            await socket.disconnect()
        return got

    got = async_to_sync(body)()

    frames = [json.loads(text) for text in notes(got["ana"])]
    assert [f["data"]["message"]["body"] for f in frames] == NOTES
    assert notes(got["admin"]) == notes(got["ana"])
    assert notes(got["replayed"]) == notes(got["ana"])
    for name in ("ana", "admin", "replayed"):  # presence events to the admin too
        assert got[name] == as_each_socket_encoded_it(alpha, got[name])
    assert all(list(f) == ["id", "type", "ts", "data"] for f in frames)
    assert encodes == []  # no socket encoded anything, not even its hello


def test_signals_are_sent_as_encoded_once_and_never_echoed(alpha_queue, encodes):
    alpha, ana, bia, admin, ticket = alpha_queue
    sockets = {"ana": socket_for(alpha, ana), "bia": socket_for(alpha, bia)}
    sockets["admin"] = socket_for(alpha, admin)

    async def body():
        for socket in sockets.values():
            await open_socket(socket)
        await sockets["ana"].send_json_to({"type": "typing", "ticket": str(ticket.public_id)})
        await sockets["ana"].send_json_to({"type": "ping"})
        got = {name: await texts(socket) for name, socket in sockets.items()}
        for socket in sockets.values():
            await socket.disconnect()
        return got

    got = async_to_sync(body)()

    typing = {
        name: [t for t in frames if json.loads(t)["type"] == "typing"]
        for name, frames in got.items()
    }
    assert typing["ana"] == []  # no echo to the typist
    assert len(typing["bia"]) == 1
    assert typing["admin"] == typing["bia"]  # the same text to every socket
    [text] = typing["bia"]
    assert text == json.dumps(json.loads(text))
    signal = json.loads(text)
    assert list(signal) == ["type", "id", "ts", "data"]
    assert signal["id"] is None
    assert signal["data"] == {
        "ticket": str(ticket.public_id),
        "user": {"id": ana.pk, "name": str(ana)},
        "typing": True,
    }
    assert [json.loads(t)["type"] for t in got["ana"]] == ["pong"]
    assert encodes == []


def test_frames_of_two_tenants_never_cross(
    alpha_queue, beta, encodes, django_capture_on_commit_callbacks
):
    alpha, ana, bia, admin, ticket = alpha_queue
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
        beta_ticket = TicketFactory(queue=QueueFactory(name="Vendas"))

    def produce():
        for _ in range(3):
            with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
                note_add(ticket=ticket, by=admin, body="nota alpha")
            with tenant_scope(beta.tenant), django_capture_on_commit_callbacks(execute=True):
                note_add(ticket=beta_ticket, by=beta_admin, body="nota beta")

    sockets = {"alpha": socket_for(alpha, admin), "beta": socket_for(beta, beta_admin)}

    async def body():
        for socket in sockets.values():
            await open_socket(socket)
        await sync_to_async(produce)()
        got = {name: numbered(await texts(socket)) for name, socket in sockets.items()}
        for socket in sockets.values():
            await socket.disconnect()
        return got

    got = async_to_sync(body)()

    for name, other in (("alpha", "beta"), ("beta", "alpha")):
        bodies = [json.loads(t)["data"]["message"]["body"] for t in notes(got[name])]
        assert bodies == [f"nota {name}"] * 3
        assert not any(f"nota {other}" in t for t in got[name])
    assert got["alpha"] == as_each_socket_encoded_it(alpha, got["alpha"])
    assert got["beta"] == as_each_socket_encoded_it(beta, got["beta"])
    assert encodes == []
