"""DRF authentication by API key: ``Authorization: Bearer tt_...`` or ``X-Api-Key: tt_...``.

A key authenticates as the admin who created it, with its name set on that user instance
(``acting_via_api_key``) so the timeline says "via API key <name>". Scopes are checked here,
before any view runs, from the table of ``integrations.scopes``: an endpoint not declared
there refuses keys. Requests without a key fall through to the next class (JWT, session).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from integrations.key_format import MAX_KEY_LENGTH, SECRET_PREFIX

if TYPE_CHECKING:
    from integrations.models import ApiKey

# Kept free of module-level imports of our errors and services: DRF imports this module while
# ``core.exceptions`` (which imports DRF's views) is still being imported.


def presented_key(request: Request) -> str | None:
    """The key the request carries, or None when it carries none (a JWT is not a key)."""
    header = request.META.get("HTTP_X_API_KEY", "")
    if not header:
        scheme, _sep, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        header = value
    header = header.strip()
    if not header.startswith(SECRET_PREFIX):
        return None
    if len(header) > MAX_KEY_LENGTH:
        from integrations.errors import ApiKeyInvalid

        raise ApiKeyInvalid()
    return header


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates integrators' API keys; ``request.auth`` is the ``ApiKey``."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        from core.client_ip import client_ip
        from integrations.errors import ApiKeyInvalid, ApiKeyNotAllowedHere, ApiKeyScopeMissing
        from integrations.rate_limits import rate_limit_consume
        from integrations.scopes import KEY_IGNORED, required_scope, scopes_grant
        from integrations.services.api_keys import api_key_authenticate
        from tenants.tenancy import in_public_schema

        raw = presented_key(request)
        match = request._request.resolver_match
        url_name = match.url_name if match else None
        if raw is None or url_name in KEY_IGNORED:
            return None
        if in_public_schema():  # keys live in tenant schemas; the platform host has none
            raise ApiKeyInvalid()
        django_request = request._request
        key = api_key_authenticate(raw=raw, ip=client_ip(django_request))
        needed = required_scope(url_name, request.method or "GET")
        if needed is None:
            raise ApiKeyNotAllowedHere()
        if not scopes_grant(key.scopes, needed):
            raise ApiKeyScopeMissing(extra={"required_scope": needed})
        rate_limit_consume(key=key, request=django_request)
        user = key.created_by
        user.acting_via_api_key = key.name
        return user, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
