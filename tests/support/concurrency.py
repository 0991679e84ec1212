"""Run work in real threads, each with its own committed database connection.

A thread's connection sees only committed rows and commits its own work, which is what a race
between two requests or two workers looks like; the test's own transaction is not involved, so
whatever a thread creates must be deleted by the test (in a thread too).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

JOIN_TIMEOUT_SECONDS = 60.0


def run_in_threads(
    count: int, target: Callable[[int], Any], *, start_together: bool = True
) -> tuple[list[Any], list[BaseException]]:
    """Call ``target(i)`` for i in 0..count-1, each in its own thread; (results, errors).

    With ``start_together`` every thread waits at a barrier first, so they hit the database at
    the same moment. Results are in index order (None where the call failed).
    """
    barrier = threading.Barrier(count) if start_together else None
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            if barrier is not None:
                barrier.wait(timeout=JOIN_TIMEOUT_SECONDS)
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT_SECONDS)
    return results, errors


def in_thread(func: Callable[[], Any]) -> Any:
    """``func()`` on a thread of its own (committed connection); re-raises what it raised."""
    results, errors = run_in_threads(1, lambda _i: func(), start_together=False)
    if errors:
        raise errors[0]
    return results[0]


def database_session(*, autocommit: bool = False, schema: str | None = None) -> Any:
    """A psycopg session of its own on the test database, outside Django (another request's or
    worker's transaction holding locks); on ``schema``'s search path when given. Close it."""
    import psycopg

    params = connection.settings_dict
    session = psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"],
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=autocommit,
    )
    if schema is not None:
        session.execute(f'SET search_path TO "{schema}", public')
    return session
