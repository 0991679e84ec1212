"""Helpers of the reliability tests: tokens, clients and the API's error shape."""

from __future__ import annotations

from typing import Any

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair
from tenants.tenancy import tenant_scope

ERROR_KEYS = {"code", "message", "extra"}


def admin_token(fixture: Any) -> str:
    """An access token of the tenant's first admin, issued in that tenant."""
    with tenant_scope(fixture.tenant):
        user = User.objects.get(email=fixture.admin_email)
        return issue_token_pair(user)["access"]


def bearer_client(host: str, token: str | None = None) -> Client:
    """A test client on ``host`` that gets the response a user would get for any exception
    (the error handlers' answer) instead of the exception itself."""
    extra = {"HTTP_HOST": host}
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client(raise_request_exception=False, **extra)


def is_error_shape(response: Any) -> bool:
    """The body is exactly ``{code, message, extra}`` with a non-empty code and message."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and set(body) == ERROR_KEYS
        and isinstance(body["code"], str)
        and bool(body["code"])
        and isinstance(body["message"], str)
        and bool(body["message"])
        and isinstance(body["extra"], dict)
    )
