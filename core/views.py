"""Pages that belong to no single domain: the dashboard home and the platform landing page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.exceptions import error_body


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in agent's start page on a tenant host."""
    return render(request, "core/home.html")


def platform_home(request: HttpRequest) -> HttpResponse:
    """The base domain's landing page, pointing platform staff at their admin."""
    return render(request, "core/platform_home.html")


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: the API's error shape under /api/, a page elsewhere."""
    if _is_api(request):
        body = error_body("not_found", _("Not found."))
        return JsonResponse(body, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: never a stack trace; the API's error shape under /api/."""
    if _is_api(request):
        body = error_body("server_error", _("Something went wrong on our side."))
        return JsonResponse(body, status=500)
    return render(request, "500.html", status=500)
