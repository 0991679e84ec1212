"""Savepoints a service may skip because its caller already holds one around the whole unit.

A service that writes several rows usually opens a savepoint of its own (``atomic()`` inside
the caller's transaction) so that a unique-constraint race can be caught and answered in place:
two statements (``SAVEPOINT`` and ``RELEASE``) each time. Inside ``caller_savepoint()`` the
caller has opened a savepoint around the whole unit of work (one inbound event of a batch) and
answers every failure itself by rolling that savepoint back and retrying the unit later, so the
services open none (``savepoint_own()``): a race they would have answered in place fails the
unit instead, and its retry finds the winner's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")

_CALLER_HOLDS: ContextVar[bool] = ContextVar("caller_savepoint", default=False)


@contextmanager
def caller_savepoint() -> Iterator[None]:
    """Inside the caller's own savepoint around one unit of work (see the module doc)."""
    token = _CALLER_HOLDS.set(True)
    try:
        yield
    finally:
        _CALLER_HOLDS.reset(token)


def savepoint_own() -> bool:
    """Whether a service should open its own savepoint (False inside ``caller_savepoint``)."""
    return not _CALLER_HOLDS.get()


def atomic_service(func: Callable[P, R]) -> Callable[P, R]:
    """``transaction.atomic`` for a service: a transaction when none is open, a savepoint when
    called inside one, and neither inside ``caller_savepoint`` (the caller's savepoint rolls
    back the whole unit)."""

    @wraps(func)
    def atomic_call(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(savepoint=savepoint_own()):
            return func(*args, **kwargs)

    return atomic_call
