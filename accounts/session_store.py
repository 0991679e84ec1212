"""Dashboard sessions: Django's database sessions, read by a statement compiled once per process.

Every dashboard request (and every inbox request of a signed-in browser) reads its session row.
Django's store builds and compiles ``Session.objects.get(session_key=..., expire_date__gt=now)``
on each of them; this store runs the same statement, compiled once (``core.db.compiled``), and
reads only ``session_data``. Same table, same rows, same answers: an unknown or expired key is no
session (and the key is dropped, as Django does), so sessions written by Django's store stay
valid. Everything else (create, save, delete, the async methods) is Django's.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db.models import CharField, DateTimeField
from django.utils import timezone

from core.db.compiled import CompiledValues, Slot, values_compiled


@cache
def _session_data_statement() -> CompiledValues:
    """The live session's data by key; it names no schema (each tenant's own table)."""
    return values_compiled(
        Session.objects.filter(
            session_key=Slot("key", CharField()), expire_date__gt=Slot("now", DateTimeField())
        ).values("session_data")
    )


class SessionStore(DatabaseSessionStore):
    """Django's database session store, its one read per request compiled once."""

    def load(self) -> dict[str, Any]:
        rows = (
            _session_data_statement().rows({"key": self.session_key, "now": timezone.now()})
            if self.session_key
            else []
        )
        if not rows:
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(rows[0]["session_data"])
        return data
