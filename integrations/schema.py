"""OpenAPI description of API-key authentication, and of the scope each operation needs
(``x-required-scope``, from the same table the authentication reads)."""

from __future__ import annotations

from typing import Any

from django.urls import Resolver404, resolve
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from integrations.scopes import required_scope


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "tt_...",
            "description": (
                "An API key created at /manage/api-keys/ on the same tenant host, as "
                "`Authorization: Bearer tt_...` or `X-Api-Key: tt_...`. Each operation names "
                "the scope it needs in `x-required-scope`; operations without it refuse keys."
            ),
        }


def mark_required_scopes(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: ``x-required-scope`` on every operation a key may
    call (the path is resolved to its URL name, as the authentication does)."""
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            url_name = _url_name(path)
            scope = required_scope(url_name, method)
            if scope is not None:
                operation["x-required-scope"] = scope
    return result


_SAMPLES = {
    "public_id": "00000000-0000-0000-0000-000000000000",
    "apiId": "00000000-0000-0000-0000-000000000000",
}


def _url_name(template: str) -> str | None:
    """The URL name of an OpenAPI path template (parameters filled with samples)."""
    path = template
    for part in template.split("{")[1:]:
        name = part.split("}")[0]
        path = path.replace("{" + name + "}", _SAMPLES.get(name, "1"))
    try:
        return resolve(path).url_name
    except Resolver404:
        return None
