"""Webhooks through the production WSGI application (``tiktickets.wsgi``): their own, shorter
middleware stack (``settings.WEBHOOK_MIDDLEWARE``, core/wsgi.py) answers every kind of delivery
exactly as the whole stack does (status, body and every header), and a warm acknowledgement
costs one statement (the ``INSERT``: no ``SELECT 1`` health check) and two Redis commands (the
caches' generations in one ``MGET``, the coalesced task's flag)."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections
from django.middleware.csrf import CsrfViewMiddleware
from redis.connection import AbstractConnection

from bench.common import wsgi_environ
from channels_integrations.models import InboundEvent
from connections.models import ChannelConnection
from simulator.webhooks import telegram_text_update
from tenants.channel_routes import channel_routes_set
from tenants.models import ChannelRoute
from tenants.services import tenant_suspend
from tenants.tenancy import tenant_scope
from tests.support.concurrency import in_thread
from tickets.tests.factories import ConnectionFactory
from tiktickets.wsgi import application

SECRET = "telegram-secret-0001"
PLATFORM_HOST = "localhost"
HANDSHAKE = {"HELLO", "CLIENT", "SELECT", "AUTH", "PING"}


def _telegram(tenant) -> Any:
    with tenant_scope(tenant):
        connection = ConnectionFactory(
            provider="telegram",
            credentials={"bot_token": "7000001:TEST", "webhook_secret": SECRET},
            webhook_token=secrets.token_urlsafe(24),
        )
        channel_routes_set(
            provider="telegram",
            connection_public_id=connection.public_id,
            keys=[connection.webhook_token],
        )
    return connection


def _call(
    handler: Any,
    path: str,
    body: bytes = b"",
    *,
    method: str = "POST",
    secret: str = SECRET,
    host: str = PLATFORM_HOST,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request as gunicorn hands it to the application (behind nginx: HTTPS)."""
    environ = wsgi_environ(
        method,
        path,
        host=host,
        body=body,
        headers={"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret},
    )
    answer: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.extend([int(status.split()[0]), headers])

    response = handler(environ, start_response)
    content = b"".join(response)
    response.close()
    return answer[0], answer[1], content


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Requests served inside the test's transaction: the request signals must not close the
    connection (what Django's test client does around each request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _update(update_id: int) -> bytes:
    return telegram_text_update(update_id=update_id, chat_id=4242, text=f"oi {update_id}")


def test_every_kind_of_delivery_is_answered_as_by_the_whole_stack(alpha, in_test_transaction):
    """The same requests through the whole stack (Django's handler on ``MIDDLEWARE``) and
    through the application: same status, same body, same headers (the security headers,
    X-Frame-Options, Content-Language, no cookie), for a new update, a redelivery, a wrong
    secret, an unknown token, a malformed body, a GET, a path without its slash, a tenant's
    host, a body over the limit, and a suspended tenant's update (kept: 200)."""
    whole = WSGIHandler()
    connection = _telegram(alpha.tenant)
    url = f"/webhooks/telegram/{connection.webhook_token}/"
    answers: dict[str, list[Any]] = {"whole": [], "webhooks": []}
    for side, handler, first_id in (("whole", whole, 100), ("webhooks", application, 200)):
        got = answers[side]
        got.append(_call(handler, url, _update(first_id)))  # new
        got.append(_call(handler, url, _update(first_id)))  # redelivered
        got.append(_call(handler, url, _update(first_id + 1), secret="wrong"))
        got.append(_call(handler, "/webhooks/telegram/no-such-token/", _update(first_id + 2)))
        got.append(_call(handler, url, b"{not json"))
        got.append(_call(handler, url, method="GET"))
        got.append(_call(handler, url.rstrip("/"), _update(first_id + 3)))
        got.append(_call(handler, url, _update(first_id + 4), host=alpha.host))
        got.append(_call(handler, url, b" " * (1024 * 1024 + 1)))
    tenant_suspend(tenant=alpha.tenant)
    answers["whole"].append(_call(whole, url, _update(300)))
    answers["webhooks"].append(_call(application, url, _update(400)))

    statuses = [status for status, _, _ in answers["webhooks"]]
    assert statuses == [200, 200, 403, 404, 400, 405, 301, 404, 413, 200]
    assert answers["webhooks"][0][2] == b'{"stored": 1, "duplicates": 0, "ignored": 0}'
    assert json.loads(answers["webhooks"][2][2])["code"] == "webhook_forbidden"
    for whole_answer, webhook_answer in zip(answers["whole"], answers["webhooks"], strict=True):
        assert webhook_answer == _without_session_vary(whole_answer)
    with tenant_scope(alpha.tenant):
        stored = set(InboundEvent.objects.values_list("provider_event_id", flat=True))
    assert stored == {"100", "200", "300", "400"}


def _without_session_vary(answer: tuple[int, list[tuple[str, str]], bytes]) -> Any:
    """The whole stack's answer without the ``Vary: Cookie`` it adds when a layer looked for a
    signed-in user (the locale's, through the session): a webhook has no session to look in,
    and its answers are never cached (POST)."""
    status, headers, content = answer
    return (
        status,
        [(name, value) for name, value in headers if (name, value) != ("Vary", "Cookie")],
        content,
    )


def test_the_application_serves_webhooks_through_their_own_layers(settings):
    """Only the layers listed for webhooks run for them; every other path keeps them all."""
    assert len(settings.WEBHOOK_MIDDLEWARE) < len(settings.MIDDLEWARE)
    assert set(settings.WEBHOOK_MIDDLEWARE) <= set(settings.MIDDLEWARE)
    webhook_layers = {type(hook.__self__) for hook in application.webhooks._view_middleware}
    whole_layers = {type(hook.__self__) for hook in application._view_middleware}
    assert CsrfViewMiddleware in whole_layers
    assert CsrfViewMiddleware not in webhook_layers


def _first_word(sql: Any) -> str:
    text = sql if isinstance(sql, str) else str(getattr(sql, "as_string", lambda _c: sql)(None))
    return text.split()[0].upper()


def test_a_warm_acknowledgement_is_one_statement_and_two_redis_commands(alpha, monkeypatch):
    """In a thread of its own (autocommit, the request signals connected, a kept connection:
    as a gunicorn worker): after one webhook, the next sends PostgreSQL only its ``INSERT``
    (before: a ``SELECT 1`` health check first) and Redis one ``MGET`` of the host and route
    caches' generations and the ``SET`` of the batch task's flag (before: a ``GET`` for the
    host cache and an ``MGET`` for the routes)."""
    tenant = alpha.tenant
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 60)

    def seed() -> tuple[str, str]:
        connection = _telegram(tenant)
        return str(connection.public_id), connection.webhook_token

    public_id, token = in_thread(seed)
    url = f"/webhooks/telegram/{token}/"
    statements: list[str] = []
    commands: list[str] = []
    measured: list[int] = []
    execute = psycopg.Cursor.execute
    send = AbstractConnection.send_packed_command

    def counted_execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() in measured:
            statements.append(_first_word(query))
        return execute(cursor, query, *args, **kwargs)

    def counted_send(redis_connection: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() in measured:
            packed = b"".join(command) if isinstance(command, list) else command
            name = packed.split(b"\r\n")[2].decode().upper()
            if name not in HANDSHAKE:
                commands.append(name)
        return send(redis_connection, command, *args, **kwargs)

    def webhooks() -> list[int]:
        statuses = [_call(application, url, _update(1))[0]]  # warms the caches
        measured.append(threading.get_ident())
        statuses.append(_call(application, url, _update(2))[0])
        return statuses

    monkeypatch.setattr(psycopg.Cursor, "execute", counted_execute)
    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted_send)
    try:
        statuses = in_thread(webhooks)
    finally:
        monkeypatch.undo()

        def cleanup() -> None:
            with tenant_scope(tenant):
                InboundEvent.objects.filter(connection__public_id=public_id).delete()
                ChannelConnection.objects.filter(public_id=public_id).delete()
            ChannelRoute.objects.filter(connection_public_id=public_id).delete()

        in_thread(cleanup)

    assert statuses == [200, 200]
    assert statements == ["INSERT"]
    assert commands == ["MGET", "SET"]
