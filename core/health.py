"""Liveness of the parts the app cannot work without: PostgreSQL, Redis and a Celery worker."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from celery import current_app
from django.conf import settings
from django.db import connection

_TIMEOUT_SECONDS = 1.0


class NoWorkerAnswered(RuntimeError):
    """No Celery worker answered the control ping in time."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one dependency check, with how long it took."""

    ok: bool
    detail: str
    milliseconds: float


def _timed(func: Callable[[], str]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = func()
        ok = True
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency means "down"
        # The class name only: the message can name hosts and ports, and the probe is public.
        detail, ok = type(exc).__name__, False
    return CheckResult(
        ok=ok, detail=str(detail), milliseconds=(time.perf_counter() - started) * 1000
    )


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis_ping(url: str) -> str:
    client = redis.Redis.from_url(
        url, socket_timeout=_TIMEOUT_SECONDS, socket_connect_timeout=_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _redis() -> str:
    return _redis_ping(settings.REDIS_URL)


def _worker() -> str:
    # The broker is checked first: with it down, a control ping would wait on reconnection.
    _redis_ping(settings.CELERY_BROKER_URL)
    replies = current_app.control.ping(timeout=_TIMEOUT_SECONDS, limit=1)
    if not replies:
        raise NoWorkerAnswered
    return f"{len(replies)} worker(s) answered"


def run_checks() -> dict[str, CheckResult]:
    """Run every check; each is bounded by a short timeout so the probe never hangs."""
    return {
        "database": _timed(_database),
        "redis": _timed(_redis),
        "worker": _timed(_worker),
    }
