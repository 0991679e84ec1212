"""Websocket entry of tenancy: resolve the tenant from the handshake's Host header.

django-tenants only ships this for HTTP; here the handshake's Host is looked up in the public
schema, and the tenant is put in ``scope["tenant"]`` for the auth middleware and consumers.
Unknown hosts and suspended tenants are accepted and then closed with a documented code, so a
client can tell them apart from a network failure.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.middleware import BaseMiddleware
from django_tenants.utils import remove_www

from tenants.models import Domain, Tenant
from tenants.realtime import CLOSE_TENANT_SUSPENDED, CLOSE_UNKNOWN_TENANT
from tenants.tenancy import run_in_public

Scope = dict[str, Any]


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return remove_www(value.decode("latin-1").split(":")[0].lower())
    return ""


def _tenant_for_host(host: str) -> Tenant | None:
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    return domain.tenant if domain is not None else None


async def websocket_reject(receive: Any, send: Any, code: int) -> None:
    """Complete the handshake, then close with ``code`` (a refused handshake carries no code)."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code})


def _origin_host(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return (urlsplit(value.decode("latin-1")).hostname or "").lower()
    return None


class SameHostOriginValidator(BaseMiddleware):
    """Refuse a browser handshake whose Origin is not the host it connects to.

    Every tenant is a sub-domain of the same site, so SameSite cookies do not stop a page on
    tenant B from opening a socket to tenant A with A's cookies; an allowed-hosts check would let
    it through too. Browsers always send Origin; a client without one (a server-side integrator)
    cannot ride on a victim's cookies and authenticates on its own.
    """

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket":
            origin = _origin_host(scope)
            if origin is not None and origin != _host(scope):
                message = await receive()
                if message["type"] == "websocket.connect":
                    await send({"type": "websocket.close"})  # handshake refused (HTTP 403)
                return None
        return await self.inner(scope, receive, send)


class TenantWebsocketMiddleware(BaseMiddleware):
    """Put the tenant of the Host header in ``scope["tenant"]``; close unknown or suspended ones."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        tenant = await run_in_public(_tenant_for_host, _host(scope))
        if tenant is None or tenant.is_public:
            return await websocket_reject(receive, send, CLOSE_UNKNOWN_TENANT)
        if not tenant.is_active:
            return await websocket_reject(receive, send, CLOSE_TENANT_SUSPENDED)
        return await super().__call__(dict(scope, tenant=tenant), receive, send)


def tenant_stack(inner: Any) -> Any:
    """Same-host Origin, then the tenant from the Host header: the part of the websocket stack
    every socket needs. Agent sockets add the session and JWT on top (``accounts.asgi``); the web
    chat visitor's socket does not, it authenticates with its own token only."""
    return SameHostOriginValidator(TenantWebsocketMiddleware(inner))
