"""The WSGI application: provider webhooks through a shorter middleware stack.

A webhook (``POST /webhooks/...`` on the platform host) is a provider's server calling us: no
browser, no session, no signed-in user, no page. ``settings.WEBHOOK_MIDDLEWARE`` lists the
layers of ``settings.MIDDLEWARE`` that still do something for it (the settings say why each
one is kept or left out); every other path goes through the whole stack as before. Both stacks
are Django's own handler, built from their lists by Django, so each keeps its layers'
view-level hooks, its exception handling and the request signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.http import HttpRequest
from django.http.response import HttpResponseBase

WEBHOOK_PATH_PREFIX = "/webhooks/"


class _WebhookHandler(WSGIHandler):
    """Django's WSGI handler on ``settings.WEBHOOK_MIDDLEWARE``, without the database
    connection's health check.

    With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before a request's first statement on
    a kept connection: for an acknowledgement, a second round trip to PostgreSQL next to its
    ``INSERT`` (each one waiting behind a busy server under a backlog). A webhook skips it: on
    a connection the server has dropped, its ``INSERT`` fails and it is answered 503 with
    nothing stored (``core.views``), which the provider retries; the failed connection is
    closed at the end of the request and the next one opens a new one. Pages and the API keep
    the check, where a person would see the error."""

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        for connection in connections.all(initialized_only=True):
            connection.health_check_done = True  # type: ignore[attr-defined]
        return super().get_response(request)

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds a handler's chain from settings.MIDDLEWARE: the list is swapped for the
        # time of the build (once per process, when the application is created).
        every_path = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.WEBHOOK_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = every_path


class WebhookAwareWSGIHandler(WSGIHandler):
    """Django's WSGI handler, handing paths under ``/webhooks/`` to the webhooks' stack."""

    def __init__(self) -> None:
        super().__init__()
        self.webhooks = _WebhookHandler()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> HttpResponseBase:
        if environ.get("PATH_INFO", "").startswith(WEBHOOK_PATH_PREFIX):
            return self.webhooks(environ, start_response)
        return super().__call__(environ, start_response)


def webhook_aware_application() -> WebhookAwareWSGIHandler:
    """Set Django up and return the application (as ``django.core.wsgi`` does for its own)."""
    import django

    django.setup(set_prefix=False)
    return WebhookAwareWSGIHandler()
