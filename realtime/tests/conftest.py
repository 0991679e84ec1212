"""Sockets through the production ASGI stack on the real Redis channel layer.

As in accounts/tests/test_websocket_entry.py, tests are sync functions running an async body
through ``async_to_sync``; the consumers' database calls then run on the test's thread and see
its uncommitted rows. Services are called from the body with ``sync_to_async`` inside
``django_capture_on_commit_callbacks(execute=True)``, which plays the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.routing import get_default_application
from channels.testing import WebsocketCommunicator

from accounts.models import User
from accounts.tokens import issue_token_pair
from tenants.tenancy import tenant_scope

application = get_default_application()
TIMEOUT = 2


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open(monkeypatch):
    """See accounts/tests/test_websocket_entry.py: channels would close the test connection."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def token_for(fixture, user: User) -> str:
    with tenant_scope(fixture.tenant):
        return issue_token_pair(user)["access"]


def socket_for(fixture, user: User, *, query: str = "") -> WebsocketCommunicator:
    headers = [
        (b"host", fixture.host.encode()),
        (b"authorization", f"Bearer {token_for(fixture, user)}".encode()),
    ]
    return WebsocketCommunicator(application, f"/ws/?{query}" if query else "/ws/", headers=headers)


async def open_socket(socket: WebsocketCommunicator) -> dict[str, Any]:
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    hello = await socket.receive_json_from(timeout=TIMEOUT)
    assert hello["type"] == "hello"
    return hello


async def drain(socket: WebsocketCommunicator, *, wait: float = 0.2) -> list[dict[str, Any]]:
    """Everything the socket received until it has been quiet for ``wait`` seconds."""
    received = []
    while not await socket.receive_nothing(timeout=wait):
        received.append(await socket.receive_json_from(timeout=TIMEOUT))
    return received


async def receive(
    socket: WebsocketCommunicator, count: int, *, keep: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """The next ``count`` messages that ``keep`` accepts (others, e.g. presence, are skipped)."""
    received: list[dict[str, Any]] = []
    while len(received) < count:
        message = await socket.receive_json_from(timeout=TIMEOUT)
        if keep(message):
            received.append(message)
    return received


def domain(message: dict[str, Any]) -> bool:
    """Ticket, message and access events (not presence, typing or viewing)."""
    return message["type"].split(".")[0] in ("ticket", "message", "access")
