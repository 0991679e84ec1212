"""Middleware that must run before the tenant is resolved."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from core.exceptions import error_body
from core.health import run_checks

HEALTH_PATH = "/healthz"


class HealthCheckMiddleware:
    """Answers ``GET /healthz`` on any host, without authentication or tenant lookup.

    It sits first so that a probe that sends an unknown Host (or the container's IP) still gets
    an answer: 200 when PostgreSQL, Redis and at least one worker are up, 503 otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/") != HEALTH_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            refused = JsonResponse(
                error_body("method_not_allowed", _("Use GET or HEAD.")), status=405
            )
            refused["Allow"] = "GET, HEAD"  # a 405 must list the allowed methods (RFC 9110)
            return refused
        results = run_checks()
        healthy = all(result.ok for result in results.values())
        body = {
            "status": "ok" if healthy else "unavailable",
            "checks": {
                name: {"ok": r.ok, "detail": r.detail, "ms": round(r.milliseconds, 1)}
                for name, r in results.items()
            },
        }
        response = JsonResponse(body, status=200 if healthy else 503)
        response["Cache-Control"] = "no-store"
        return response
