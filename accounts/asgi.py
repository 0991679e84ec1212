"""Websocket authentication inside the tenant resolved by ``tenants.asgi``.

Channels' own ``AuthMiddlewareStack`` reads the session in whatever schema its shared DB thread
was last left in, so a cookie from tenant A could sign in at tenant B. Here the
session and the JWT are both resolved inside ``tenant_scope(scope["tenant"])``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.auth import get_user
from channels.middleware import BaseMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import TenantJWTAuthentication
from accounts.models import User
from accounts.two_factor import two_factor_enabled, two_factor_required
from tenants.asgi import tenant_stack
from tenants.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from tenants.tenancy import run_in_tenant

Scope = dict[str, Any]


def _bearer_token(scope: Scope) -> str | None:
    """A JWT from ``Authorization: Bearer …`` or, for browsers, the ``access_token`` query."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return token.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    tokens = query.get("access_token")
    return tokens[0] if tokens else None


def _failure_code(exc: AuthenticationFailed) -> str:
    """SimpleJWT's exceptions keep their code in ``detail["code"]``, DRF's in ``detail.code``."""
    detail = exc.detail
    return str(detail.get("code") if isinstance(detail, dict) else getattr(detail, "code", ""))


def _enrolment_due(user: object) -> bool:
    """Two-factor sign-in is required of this user, who has not set it up: no live events
    until then (the dashboard only shows them the page that sets it up)."""
    return isinstance(user, User) and two_factor_required(user) and not two_factor_enabled(user)


def _resolve(scope: Scope) -> tuple[Any, int | None, float | None]:
    """(user, close code or None, token expiry or None); runs inside the tenant's schema."""
    raw = _bearer_token(scope)
    if raw is not None:
        auth = TenantJWTAuthentication()
        try:
            token = auth.get_validated_token(raw.encode())
            user = auth.get_user(token)
        except AuthenticationFailed as exc:
            inactive = _failure_code(exc) == "user_inactive"
            # (InvalidToken, for bad or expired tokens, is an AuthenticationFailed too.)
            return AnonymousUser(), CLOSE_FORBIDDEN if inactive else CLOSE_UNAUTHENTICATED, None
        if _enrolment_due(user):
            return AnonymousUser(), CLOSE_FORBIDDEN, None
        return user, None, float(token["exp"])
    user = get_user.func(scope)
    if user.is_authenticated:
        if _enrolment_due(user):
            return AnonymousUser(), CLOSE_FORBIDDEN, None
        return user, None, None
    session = scope.get("session")
    user_id = session.get(SESSION_KEY) if session is not None else None
    if user_id is not None and User.objects.filter(pk=user_id, is_active=False).exists():
        return AnonymousUser(), CLOSE_FORBIDDEN, None
    return AnonymousUser(), CLOSE_UNAUTHENTICATED, None


class TenantAuthMiddleware(BaseMiddleware):
    """Sets ``scope["user"]``, plus ``auth_close_code`` when the credentials were refused and
    ``auth_expires_at`` for tokens, so consumers can close the socket when the token expires."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        user, close_code, expires_at = await run_in_tenant(scope["tenant"], _resolve, scope)
        scope = dict(scope, user=user, auth_close_code=close_code, auth_expires_at=expires_at)
        return await super().__call__(scope, receive, send)


def tenant_auth_stack(inner: Any) -> Any:
    """Same-host Origin, tenant from the Host header, then cookies, session and user, all in
    that tenant."""
    return tenant_stack(CookieMiddleware(SessionMiddleware(TenantAuthMiddleware(inner))))
