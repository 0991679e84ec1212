"""Old API routes kept answering for one release after their resource became REST.

``deprecated_route(ContactDetailApi, method="patch", successor="contact-detail")`` is a view
that answers POST on the old path exactly as the new route answers ``PATCH``, and marks every
response (errors too) with ``Deprecation`` (RFC 9745: the moment the route was deprecated) and a
``Link`` to the route that replaces it. The OpenAPI schema lists the old operation as deprecated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# 2026-12-07 00:00 UTC, the release that made contacts, tags and attributes REST.
DEPRECATED_SINCE = int(datetime(2026, 12, 7, tzinfo=UTC).timestamp())


def deprecated_route(view: type[APIView], *, method: str, successor: str) -> type[APIView]:
    """A view answering POST with ``view``'s ``method`` handler, every answer marked
    deprecated with a link to the URL named ``successor`` (same path parameters)."""
    handler = getattr(view, method)

    def post(self: APIView, request: Request, *args: Any, **kwargs: Any) -> Any:
        return handler(self, request, *args, **kwargs)

    # The old route's schema is the new one's (extend_schema builds on a schema found in the
    # function's ``kwargs``), only marked deprecated.
    post.kwargs = dict(getattr(handler, "kwargs", {}))  # type: ignore[attr-defined]
    post = extend_schema(deprecated=True)(post)

    def finalize_response(
        self: APIView, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = view.finalize_response(self, request, response, *args, **kwargs)
        response["Deprecation"] = f"@{DEPRECATED_SINCE}"
        response["Link"] = f'<{reverse(successor, kwargs=kwargs)}>; rel="successor-version"'
        return response

    return type(
        f"Deprecated{view.__name__}",
        (view,),
        {
            "__doc__": f"Deprecated: use {method.upper()} on the route named {successor!r}.",
            "__module__": view.__module__,
            "http_method_names": ["post", "options"],
            "post": post,
            "finalize_response": finalize_response,
        },
    )
