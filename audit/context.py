"""The request being served, kept for the audit log while a view runs.

Services record actions deep below the views that called them and do not take the request as
an argument; the middleware keeps it in a context variable so an entry still gets the IP
address, the user agent and (after DRF authentication) the API key or user who acted.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def current_request() -> HttpRequest | None:
    """The request being served by this thread or task, if any."""
    return _current_request.get()


class AuditRequestMiddleware:
    """Makes the request available to ``audit.services.audit_record`` while it is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)
