"""Request bodies read safely on public endpoints: a byte cap checked before the body is
read, and JSON parsed with a nesting limit.

Python's decoder raises ``RecursionError`` (not ``ValueError``) a thousand levels down, which
used to end in a 500; and nothing legitimate nests deeper than a few levels (a WhatsApp
delivery is about eight), so ``JSON_MAX_DEPTH`` leaves ample room. Refusals are
``ApplicationError``s in the ``{code, message, extra}`` shape: 400 ``malformed_json`` and
413 ``request_too_large``. docs/inbound.md ("Bodies we refuse") lists the limits.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError

JSON_MAX_DEPTH = 64


class MalformedJSON(ApplicationError):
    """The body is not UTF-8 JSON, or nests deeper than ``JSON_MAX_DEPTH``."""

    code = "malformed_json"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The request body is not valid JSON.")


class RequestTooLarge(ApplicationError):
    """The body is over the endpoint's limit; ``extra["max_bytes"]`` says the limit."""

    code = "request_too_large"
    http_status = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_message = _("The request body is too large.")

    def __init__(self, max_bytes: int) -> None:
        super().__init__(extra={"max_bytes": max_bytes})


def _depth(value: Any) -> int:
    """Nesting depth of a decoded document, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def json_loads_safe(raw: bytes | str, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """``json.loads`` that raises ``MalformedJSON`` for invalid UTF-8, invalid JSON and
    documents nested deeper than ``max_depth``, and for nothing else."""
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise MalformedJSON(str(_("The request body is nested too deeply."))) from exc
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise MalformedJSON() from exc
    if _depth(data) > max_depth:
        raise MalformedJSON(str(_("The request body is nested too deeply.")))
    return data


def body_within(request: HttpRequest, *, max_bytes: int) -> bytes:
    """The raw body, or ``RequestTooLarge`` when it is over ``max_bytes``.

    The declared length is checked before anything is read; the read itself is still bounded
    by ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (a body that lies about its length).
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        raise RequestTooLarge(max_bytes)
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise RequestTooLarge(max_bytes) from exc
    if len(body) > max_bytes:
        raise RequestTooLarge(max_bytes)
    return body
