"""The /ws/ entry through the full production ASGI stack and the real Redis channel layer.

Who gets a socket, and which close code (tenants/realtime.py, docs/websocket.md) everyone else
gets. The tests are sync functions that run an async body through ``async_to_sync`` (a native
async test would need a transactional database): the stack's thread-sensitive DB calls then run
on this test's thread and connection, see its uncommitted rows (sessions, suspensions,
deactivations) and roll back with it. That same thread plays the part of the one shared
``database_sync_to_async`` thread of production, which is what lets the cross-tenant tests below
put it in the "wrong" schema on purpose.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.routing import get_default_application
from channels.testing import WebsocketCommunicator
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tokens import TENANT_CLAIM, issue_token_pair
from conftest import host_client, sign_in
from tenants.realtime import (
    CLOSE_FORBIDDEN,
    CLOSE_TENANT_SUSPENDED,
    CLOSE_UNAUTHENTICATED,
    CLOSE_UNKNOWN_TENANT,
)
from tenants.services import tenant_settings_update, tenant_suspend
from tenants.tenancy import run_in_tenant, tenant_scope

# settings.ASGI_APPLICATION, i.e. tiktickets.asgi.application, the very object daphne serves.
# Loaded through the setting rather than imported: accounts may not import the project package
# (import-linter layers contract).
application = get_default_application()

TIMEOUT = 1  # seconds; every message here is local, so anything slower is a failure


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open(monkeypatch):
    """``database_sync_to_async`` calls ``close_old_connections()`` around every call. Inside the
    test's transaction autocommit is off, which Django reads as a connection left in a bad state,
    so it would close the test connection mid-test ("the connection is closed"). Channels' own
    communicator switches it off only while ``send_input``/``receive_output`` are awaited; the
    app also runs during ``receive_nothing`` and our own calls, so it is off for the whole test."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


# ---------------------------------------------------------------- helpers


def _socket(
    host: str,
    *,
    origin: str | None = "",
    session: str | None = None,
    token: str | None = None,
    query: str = "",
) -> WebsocketCommunicator:
    """A /ws/ handshake as a browser on ``host`` would send it (``origin=""``: the host itself)."""
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", (origin or f"http://{host}").encode()))
    if session is not None:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return WebsocketCommunicator(application, f"/ws/?{query}" if query else "/ws/", headers=headers)


async def _open(socket: WebsocketCommunicator) -> dict[str, Any]:
    """Connect and return the greeting, which must be the first message."""
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    hello = await socket.receive_json_from(timeout=TIMEOUT)
    assert hello["type"] == "hello"
    return hello


async def _assert_closed_with(socket: WebsocketCommunicator, code: int) -> None:
    """The handshake is accepted (so the client can read a code), then closed with ``code``,
    and nothing (no hello, no event) is ever sent."""
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": code}
    assert await socket.receive_nothing(timeout=0.1)
    await socket.disconnect()


def _admin(fixture) -> User:
    with tenant_scope(fixture.tenant):
        return User.objects.get(email=fixture.admin_email)


def _hello_of(fixture) -> dict[str, Any]:
    """Who the greeting says the socket belongs to (the rest of it is realtime's business)."""
    user = _admin(fixture)
    return {
        "user": {"id": user.pk, "name": user.name, "email": user.email, "role": "admin"},
        "tenant": fixture.tenant.schema_name,
    }


def _identity(hello: dict[str, Any]) -> dict[str, Any]:
    return {key: hello["data"][key] for key in ("user", "tenant")}


def _session_cookie(fixture) -> str:
    """Sign in through the dashboard's login view on the tenant's host; returns the session id."""
    client = sign_in(host_client(fixture.host), fixture.admin_email, fixture.admin_password)
    return client.cookies["sessionid"].value


def _access_token(fixture, *, lifetime: timedelta | None = None) -> str:
    """The admin's access token as the API issues it, or one with a custom lifetime."""
    with tenant_scope(fixture.tenant):
        user = User.objects.get(email=fixture.admin_email)
        if lifetime is None:
            return issue_token_pair(user)["access"]
        token = AccessToken.for_user(user)
        token[TENANT_CLAIM] = fixture.tenant.schema_name
        token.set_exp(lifetime=lifetime)
        return str(token)


def _carelessly_enter(tenant) -> None:
    """Switch the calling thread's connection to ``tenant`` and leave it there, as a careless
    ``database_sync_to_async`` call would on the shared thread.

    ``connection`` must be looked up in the thread that runs this: it is a per-thread proxy, and
    ``database_sync_to_async(connection.set_tenant)`` would bind the event loop thread's one."""
    connection.set_tenant(tenant)


def _current_schema() -> str:
    return connection.schema_name


def _deactivate_admin(fixture) -> None:
    with tenant_scope(fixture.tenant):
        User.objects.filter(email=fixture.admin_email).update(is_active=False)


# ---------------------------------------------------------------- accepted


def test_session_cookie_of_the_hosts_tenant_gets_hello_and_pong(alpha):
    session = _session_cookie(alpha)
    expected = _hello_of(alpha)

    async def body():
        socket = _socket(alpha.host, session=session)
        assert _identity(await _open(socket)) == expected
        await socket.send_json_to({"type": "ping"})
        pong = await socket.receive_json_from(timeout=TIMEOUT)
        assert pong["type"] == "pong"
        assert pong["id"] is None
        assert await socket.receive_nothing(timeout=0.1)
        await socket.disconnect()

    async_to_sync(body)()


@pytest.mark.parametrize("via", ["authorization_header", "access_token_query"])
def test_jwt_of_the_hosts_tenant_gets_hello(alpha, via):
    token = _access_token(alpha)
    if via == "authorization_header":
        socket = _socket(alpha.host, token=token)
    else:
        socket = _socket(alpha.host, query=f"access_token={token}")
    expected = _hello_of(alpha)

    async def body():
        assert _identity(await _open(socket)) == expected
        await socket.disconnect()

    async_to_sync(body)()


# ---------------------------------------------------------------- refused: credentials


def test_handshake_without_credentials_is_closed_4401(alpha):
    async_to_sync(_assert_closed_with)(_socket(alpha.host), CLOSE_UNAUTHENTICATED)


@pytest.mark.parametrize("via", ["authorization_header", "access_token_query"])
def test_garbage_token_is_closed_4401(alpha, via):
    if via == "authorization_header":
        socket = _socket(alpha.host, token="not.a.jwt")
    else:
        socket = _socket(alpha.host, query="access_token=not.a.jwt")
    async_to_sync(_assert_closed_with)(socket, CLOSE_UNAUTHENTICATED)


def test_expired_token_is_closed_4401(alpha):
    token = _access_token(alpha, lifetime=-timedelta(minutes=1))
    async_to_sync(_assert_closed_with)(_socket(alpha.host, token=token), CLOSE_UNAUTHENTICATED)


def test_alphas_token_at_betas_host_is_closed_4401(alpha, beta):
    # Given both admins are user 1 in their own schema, an unbound token would sign in at beta.
    assert _admin(alpha).pk == _admin(beta).pk
    token = _access_token(alpha)
    async_to_sync(_assert_closed_with)(_socket(beta.host, token=token), CLOSE_UNAUTHENTICATED)


def test_alphas_session_cookie_at_betas_host_is_closed_4401_never_as_alphas_user(alpha, beta):
    """The cross-tenant session leak: a session read in the schema the shared DB thread was last
    left in. Checked against Channels' stock AuthMiddlewareStack: under these exact conditions it
    signed alpha's admin in at beta's host."""
    assert _admin(alpha).pk == _admin(beta).pk
    session = _session_cookie(alpha)

    async def body():
        # Given alpha's socket is open with that cookie (the session is good at alpha) ...
        socket = _socket(alpha.host, session=session)
        await _open(socket)
        await socket.disconnect()
        # ... and the shared DB thread is left in alpha's schema, as a careless call or an HTTP
        # request served by django-tenants' middleware on that thread leaves it.
        await database_sync_to_async(_carelessly_enter)(alpha.tenant)
        assert await database_sync_to_async(_current_schema)() == "alpha"
        # When the same cookie is presented at beta's host, then it is refused, with no hello.
        await _assert_closed_with(_socket(beta.host, session=session), CLOSE_UNAUTHENTICATED)

    async_to_sync(body)()


# ---------------------------------------------------------------- refused: tenant, user, origin


@pytest.mark.parametrize("host", ["nope.localhost", "localhost"], ids=["unknown", "platform"])
def test_host_that_names_no_tenant_is_closed_4404(alpha, host):
    token = _access_token(alpha)
    async_to_sync(_assert_closed_with)(_socket(host, token=token), CLOSE_UNKNOWN_TENANT)


@pytest.mark.parametrize("credential", ["jwt", "session"])
def test_suspended_tenant_is_closed_4423_even_with_good_credentials(alpha, credential):
    if credential == "jwt":
        kwargs = {"token": _access_token(alpha)}
    else:
        kwargs = {"session": _session_cookie(alpha)}
    tenant_suspend(tenant=alpha.tenant)  # its on-commit broadcast never runs: nothing is open
    async_to_sync(_assert_closed_with)(_socket(alpha.host, **kwargs), CLOSE_TENANT_SUSPENDED)


@pytest.mark.parametrize("credential", ["jwt", "session"])
def test_deactivated_user_is_closed_4403(alpha, credential):
    # Given credentials obtained while the admin was still active
    if credential == "jwt":
        kwargs = {"token": _access_token(alpha)}
    else:
        kwargs = {"session": _session_cookie(alpha)}
    # When the admin is deactivated
    _deactivate_admin(alpha)
    # Then the socket is refused as forbidden, not as unauthenticated
    async_to_sync(_assert_closed_with)(_socket(alpha.host, **kwargs), CLOSE_FORBIDDEN)


@pytest.mark.parametrize("credential", ["jwt", "session"])
def test_a_user_who_must_enrol_in_two_factor_first_is_closed_4403(alpha, beta, credential):
    # Given credentials obtained before alpha required two-factor sign-in
    if credential == "jwt":
        kwargs = {"token": _access_token(alpha)}
    else:
        kwargs = {"session": _session_cookie(alpha)}
    beta_session = _session_cookie(beta)
    # When alpha requires it and its admin has not set it up
    tenant_settings_update(tenant=alpha.tenant, values={"require_two_factor": True})

    async def body():
        await _assert_closed_with(_socket(alpha.host, **kwargs), CLOSE_FORBIDDEN)
        # beta, which does not require it, keeps its sockets
        socket = _socket(beta.host, session=beta_session)
        await _open(socket)
        await socket.disconnect()

    async_to_sync(body)()


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://beta.localhost"], ids=["foreign", "other-tenant"]
)
def test_handshake_from_another_origin_is_rejected_even_with_valid_credentials(alpha, origin):
    token = _access_token(alpha)

    async def body():
        socket = _socket(alpha.host, origin=origin, token=token)
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert not connected
        assert await socket.receive_nothing(timeout=0.1)
        await socket.disconnect()

    async_to_sync(body)()


# ---------------------------------------------------------------- closed while open


def test_suspending_a_tenant_closes_its_open_sockets_with_4423_only(
    alpha, beta, django_capture_on_commit_callbacks
):
    alpha_token, beta_token = _access_token(alpha), _access_token(beta)

    def suspend_alpha():
        # tenant_suspend broadcasts on commit; the test transaction never commits.
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            tenant_suspend(tenant=alpha.tenant)
        # agents' sockets, web chat visitors' sockets, the tenants generation (host cache)
        assert len(callbacks) == 3

    async def body():
        # Given one open socket in each tenant
        alpha_socket = _socket(alpha.host, token=alpha_token)
        beta_socket = _socket(beta.host, token=beta_token)
        await _open(alpha_socket)
        await _open(beta_socket)
        # When alpha is suspended
        await sync_to_async(suspend_alpha)()
        # Then alpha's socket is closed with 4423, and beta's stays open and hears nothing
        closed = await alpha_socket.receive_output(timeout=TIMEOUT)
        assert closed == {"type": "websocket.close", "code": CLOSE_TENANT_SUSPENDED}
        assert await beta_socket.receive_nothing(timeout=0.3)
        await beta_socket.send_json_to({"type": "ping"})
        assert (await beta_socket.receive_json_from(timeout=TIMEOUT))["type"] == "pong"
        await alpha_socket.disconnect()
        await beta_socket.disconnect()

    async_to_sync(body)()


def test_signing_out_closes_the_sockets_of_that_session_only(
    alpha, django_capture_on_commit_callbacks
):
    # Given the same admin signed in on two browsers, each with an open socket
    client = sign_in(host_client(alpha.host), alpha.admin_email, alpha.admin_password)
    other_browser = _session_cookie(alpha)

    def sign_out():
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/accounts/logout/").status_code == 302

    async def body():
        signing_out = _socket(alpha.host, session=client.cookies["sessionid"].value)
        staying = _socket(alpha.host, session=other_browser)
        await _open(signing_out)
        await _open(staying)
        # When the first browser signs out
        await sync_to_async(sign_out)()
        # Then its socket is closed with 4401 and the other browser's stays open
        closed = await signing_out.receive_output(timeout=TIMEOUT)
        assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
        await staying.send_json_to({"type": "ping"})
        assert (await staying.receive_json_from(timeout=TIMEOUT))["type"] == "pong"
        await signing_out.disconnect()
        await staying.disconnect()

    async_to_sync(body)()


def test_socket_opened_with_a_jwt_is_closed_4401_when_the_token_expires(alpha):
    # "exp" has a one-second resolution: this token expires 1 to 2 seconds from now.
    token = _access_token(alpha, lifetime=timedelta(seconds=2))
    expires_at = AccessToken(token)["exp"]

    async def body():
        socket = _socket(alpha.host, token=token)
        await _open(socket)
        closed = await socket.receive_output(timeout=3)
        assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
        assert time.time() >= expires_at - 0.05  # not before the token expired
        await socket.disconnect()

    async_to_sync(body)()


# ---------------------------------------------------------------- the shared DB thread


def test_run_in_tenant_leaves_the_shared_db_thread_where_it_found_it(alpha, beta):
    """The shared DB thread keeps the last ``search_path``. Observed: ``run_in_tenant`` restores
    the thread's previous schema (public here), so a plain ``database_sync_to_async`` call right
    after it does not see alpha. A careless call that sets a tenant without restoring does leak
    into the next plain call, and ``run_in_tenant`` is immune to that too."""

    def schema() -> tuple[int, str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            (in_database,) = cursor.fetchone()
        return threading.get_ident(), connection.schema_name, in_database

    async def body():
        in_alpha = await run_in_tenant(alpha.tenant, schema)
        after_alpha = await database_sync_to_async(schema)()
        in_beta = await run_in_tenant(beta.tenant, schema)
        await database_sync_to_async(_carelessly_enter)(alpha.tenant)
        after_careless = await database_sync_to_async(schema)()
        in_beta_after_careless = await run_in_tenant(beta.tenant, schema)
        return in_alpha, after_alpha, in_beta, after_careless, in_beta_after_careless

    results = async_to_sync(body)()

    # One thread served every call: the one whose connection keeps the last search_path.
    assert {thread for thread, _, _ in results} == {threading.get_ident()}
    in_alpha, after_alpha, in_beta, after_careless, in_beta_after_careless = (
        (wrapper, database) for _, wrapper, database in results
    )
    assert in_alpha == ("alpha", "alpha")
    assert after_alpha == ("public", "public")
    assert in_beta == ("beta", "beta")
    assert after_careless == ("alpha", "alpha")
    assert in_beta_after_careless == ("beta", "beta")


def test_a_page_of_another_tenant_cannot_open_a_socket_with_this_tenants_cookie(alpha):
    # Tenants are sub-domains of one site, so the browser would attach alpha's cookie to a
    # handshake that a page on beta.localhost starts; the Origin check refuses it.
    session = _session_cookie(alpha)

    async def body():
        socket = _socket(alpha.host, origin="http://beta.localhost", session=session)
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert not connected
        await socket.disconnect()

    async_to_sync(body)()


def test_a_client_without_origin_authenticating_with_a_token_is_accepted(alpha):
    # Server-side integrators send no Origin; they cannot ride on a browser's cookies.
    token = _access_token(alpha)

    async def body():
        socket = _socket(alpha.host, origin=None, token=token)
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert connected
        hello = await socket.receive_json_from(timeout=TIMEOUT)
        assert hello["type"] == "hello"
        assert hello["data"]["tenant"] == "alpha"
        await socket.disconnect()

    async_to_sync(body)()


def test_the_session_has_ended_when_its_sockets_are_told_to_close(alpha):
    """The sockets' close is sent from ``user_logged_out`` at once (autocommit), and Django
    flushes the session only after that signal: by the time the close goes out the session row
    must be gone, or a tab reloading on the close is still signed in."""
    from django.contrib.auth.signals import user_logged_out
    from django.contrib.sessions.models import Session

    client = sign_in(host_client(alpha.host), alpha.admin_email, alpha.admin_password)
    key = client.cookies["sessionid"].value
    seen: list[bool] = []

    def after_the_close_is_sent(sender, request=None, **kwargs):
        # Connected after the project's receiver, so it runs after the close was handed on.
        with tenant_scope(alpha.tenant):
            seen.append(Session.objects.filter(session_key=key).exists())

    user_logged_out.connect(after_the_close_is_sent, dispatch_uid="test-after-close")
    try:
        assert client.post("/accounts/logout/").status_code == 302
    finally:
        user_logged_out.disconnect(dispatch_uid="test-after-close")
    assert seen == [False]
    assert client.get("/")["Location"].startswith("/accounts/login/")
