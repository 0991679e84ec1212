"""A small Evolution API v2 client over httpx: one call per endpoint, errors mapped to
``ProviderError`` (temporary or permanent).

Every request carries an ``apikey`` header: the gateway's global key
(``settings.EVOLUTION_API_KEY``) to create instances, the instance's own token for everything
else (https://doc.evolution-api.com/v2/api-reference/get-information). Errors answer
``{"status", "error", "response": {"message": [...]}}``; neither key is ever part of a detail
we keep.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from channels_integrations.providers.base import ProviderError

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@cache
def _http() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT)


def _detail(body: Any, status: int) -> str:
    """The gateway's own words from an error body."""
    response = body.get("response") if isinstance(body, dict) else None
    message = response.get("message") if isinstance(response, dict) else None
    if isinstance(message, list):
        message = "; ".join(str(part) for part in message)
    return str(message or (body.get("error") if isinstance(body, dict) else "") or f"HTTP {status}")


def _error(status: int, detail: str) -> ProviderError:
    lowered = detail.lower()
    if status == 429 or status >= 500:
        return ProviderError(
            _("The WhatsApp gateway is unavailable: %(detail)s") % {"detail": detail},
            permanent=False,
            code="gateway_unavailable",
        )
    if "connection closed" in lowered or "not connected" in lowered:
        # The phone's session is down: replies wait for it to come back.
        return ProviderError(
            _("The WhatsApp number is not connected."), permanent=False, code="session_closed"
        )
    if status in (401, 403) and "already in use" not in lowered:
        return ProviderError(
            _("The WhatsApp gateway refused the key."), permanent=True, code="unauthorized"
        )
    if status == 404:
        return ProviderError(
            _("The WhatsApp gateway does not know this number's instance."),
            permanent=True,
            code="instance_not_found",
        )
    return ProviderError(detail, permanent=True, code="bad_request")


class EvolutionClient:
    """Calls the gateway with one key (the global one or an instance's token)."""

    def __init__(self, apikey: str) -> None:
        self.apikey = apikey
        self.base = settings.EVOLUTION_API_URL.rstrip("/")

    def call(
        self,
        verb: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """The JSON answer of ``verb path``; ``ProviderError`` otherwise (429, 5xx and network
        errors are temporary, and so is a closed session; other refusals are permanent)."""
        if not self.base:
            raise ProviderError(
                _("No WhatsApp gateway is configured on this installation (EVOLUTION_API_URL)."),
                permanent=True,
                code="gateway_not_configured",
            )
        try:
            response = _http().request(
                verb,
                f"{self.base}/{path.lstrip('/')}",
                json=json,
                params=params,
                headers={"apikey": self.apikey},
            )
        except httpx.TransportError as exc:
            raise ProviderError(
                _("The WhatsApp gateway cannot be reached (%(error)s).")
                % {"error": type(exc).__name__},
                permanent=False,
                code="gateway_unavailable",
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code < 300:
            return body
        raise _error(response.status_code, _detail(body, response.status_code))
