"""Test data of the integrations app, made through its services (call inside a tenant scope)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.tests.factories import AdminFactory
from integrations.models import ApiKey
from integrations.services.api_keys import api_key_create


def api_key_make(
    *, scopes: tuple[str, ...] | list[str] = ("send:write",), by: User | None = None, **kwargs: Any
) -> tuple[ApiKey, str]:
    """A key made by ``by`` (a new admin when None) and its secret."""
    kwargs.setdefault("name", "Loja Virtual")
    owner: User = by or AdminFactory.create()
    return api_key_create(by=owner, scopes=list(scopes), **kwargs)
