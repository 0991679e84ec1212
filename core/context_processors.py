"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def tenant(request: HttpRequest) -> dict[str, Any]:
    """The tenant the request was resolved to (None on the platform host)."""
    current = getattr(request, "tenant", None)
    is_platform = current is None or current.schema_name == "public"
    return {"current_tenant": None if is_platform else current, "is_platform_host": is_platform}
