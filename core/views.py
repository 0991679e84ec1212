"""The error pages and answers of every host (HTML for pages, the API's JSON error body for
/api/ paths)."""

from __future__ import annotations

import sys

import redis
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from core.exceptions import error_body


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: the API's error shape under /api/, a page elsewhere."""
    if _is_api(request):
        body = error_body("not_found", _("Not found."))
        return JsonResponse(body, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: the API's error shape under /api/, a styled page elsewhere."""
    if _is_api(request):
        body = error_body("permission_denied", _("You do not have permission to do this."))
        return JsonResponse(body, status=403)
    return render(request, "403.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 for requests Django refuses before any view runs (a suspicious operation); a body
    over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is 413. The API's error shape under /api/."""
    too_big = isinstance(exception, RequestDataTooBig)
    if _is_api(request):
        if too_big:
            body = error_body(
                "request_too_large",
                _("The request body is too large."),
                {"max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
            )
            return JsonResponse(body, status=413)
        return JsonResponse(error_body("bad_request", _("The request is invalid.")), status=400)
    response = defaults.bad_request(request, exception or Exception())
    if too_big:
        response.status_code = 413
    return response


# A dependency that is down or unreachable, not a fault of ours: the same request may succeed
# once it is back, so the answer is 503 with Retry-After (clients and proxies retry), not 500.
_DEPENDENCY_DOWN = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
RETRY_AFTER_SECONDS = 5


def _service_unavailable(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        body = error_body(
            "service_unavailable",
            _("The service is temporarily unavailable. Please try again in a moment."),
            {"retry_after": RETRY_AFTER_SECONDS},
        )
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        response = render(request, "500.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """500: never a stack trace; the API's error shape under /api/.

    Django calls this while handling the uncaught exception, so ``sys.exc_info()`` names it: a
    database or Redis outage answers 503 ``service_unavailable`` instead.
    """
    if isinstance(sys.exc_info()[1], _DEPENDENCY_DOWN):
        return _service_unavailable(request)
    if _is_api(request):
        body = error_body("server_error", _("Something went wrong on our side."))
        return JsonResponse(body, status=500)
    return render(request, "500.html", status=500)
