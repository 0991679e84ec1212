"""The smallest WSGI application: the HTTP ceiling of gunicorn + the load generator on this box.

``bench/raw_limits.py`` serves it with ``deploy/gunicorn.conf.py`` (the same workers as the app)
and drives it with the same locust process as B2, so a B2 figure divided by this one is the share
of the bare HTTP path that Django, the tenant middleware, DRF and PostgreSQL leave.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b'{"ok": true}'


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
    )
    return [BODY]
