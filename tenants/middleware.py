"""HTTP entry of tenancy: resolve the tenant from the Host header, refuse suspended tenants."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django_tenants.middleware.main import TenantMainMiddleware

from core.exceptions import ApplicationError, error_body
from tenants.errors import TenantNotFound, TenantSuspended
from tenants.host_cache import tenant_for_host
from tenants.models import Tenant


def _wants_json(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def _error_response(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            error_body(error.code, error.message, error.extra), status=error.http_status
        )
    return render(request, "tenants/unavailable.html", {"error": error}, status=error.http_status)


class TenantMiddleware(TenantMainMiddleware):
    """django-tenants' host routing, plus a clear answer for unknown hosts and suspended tenants.

    The tenant of a host comes from the process's host cache (``tenants.host_cache``), which
    every tenant or domain change invalidates on every process before its next request: a
    suspension takes effect on the next request of every session and token.
    """

    def get_tenant(self, domain_model: Any, hostname: str) -> Tenant:
        tenant = tenant_for_host(hostname)
        if tenant is None:
            raise domain_model.DoesNotExist
        return tenant

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            response = super().process_request(request)
        except Http404:
            return _error_response(request, TenantNotFound())
        if response is not None:
            return response
        tenant = request.tenant  # type: ignore[attr-defined]
        if not tenant.is_public and not tenant.is_active:
            return _error_response(request, TenantSuspended())
        return None


class TenantLocaleMiddleware:
    """Activate the user's language (else the tenant's) and the tenant's time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        language = (getattr(user, "language", "") or "") if user is not None else ""
        if not language:
            language = getattr(tenant, "language", "") or settings.LANGUAGE_CODE
        time_zone = getattr(tenant, "time_zone", "") or settings.TIME_ZONE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        timezone.activate(zoneinfo.ZoneInfo(time_zone))
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
