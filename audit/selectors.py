"""Reading the audit log: filtered, newest first, one keyset page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    """What a reader asks for; empty values filter nothing. ``start`` and ``end`` are aware
    datetimes (``end`` excluded)."""

    actor: str = ""
    actor_kind: str = ""
    action: str = ""
    object_type: str = ""
    start: datetime | None = None
    end: datetime | None = None
    search: str = ""


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None


class InvalidCursor(ValueError):
    """A cursor this module did not write."""


def audit_entries(filters: AuditFilters) -> QuerySet[AuditEntry]:
    """The current schema's entries matching ``filters``, newest first."""
    entries = AuditEntry.objects.all()
    if filters.actor_kind:
        entries = entries.filter(actor_kind=filters.actor_kind)
    if filters.actor:
        entries = entries.filter(
            Q(actor_label__icontains=filters.actor) | Q(actor_id=filters.actor)
        )
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.object_type:
        entries = entries.filter(object_type=filters.object_type)
    if filters.start is not None:
        entries = entries.filter(created_at__gte=filters.start)
    if filters.end is not None:
        entries = entries.filter(created_at__lt=filters.end)
    if filters.search:
        term = filters.search
        entries = entries.filter(
            Q(action__icontains=term)
            | Q(actor_label__icontains=term)
            | Q(object_label__icontains=term)
            | Q(object_id=term)
            | Q(user_agent__icontains=term)
        )
    return entries.order_by("-created_at", "-id")


def _cursor(entry: AuditEntry) -> str:
    return f"{entry.created_at.isoformat()}~{entry.pk}"


def _cursor_parse(cursor: str) -> tuple[datetime, int]:
    try:
        stamp, pk = cursor.rsplit("~", 1)
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, int(pk)
    except ValueError as exc:
        raise InvalidCursor(cursor) from exc


def audit_page_query(filters: AuditFilters, *, after: str | None) -> QuerySet[AuditEntry]:
    """The entries after the cursor ``after``; ``created_at <= cursor`` is the index range, the
    tie on the same instant is broken by id."""
    entries = audit_entries(filters)
    if after:
        when, pk = _cursor_parse(after)
        entries = entries.filter(created_at__lte=when).exclude(created_at=when, id__gte=pk)
    return entries


def audit_page(filters: AuditFilters, *, after: str | None, size: int = 50) -> AuditPage:
    """One page of ``audit_entries`` after the cursor of a previous page (keyset: served by the
    ``(created_at DESC, id DESC)`` index, never an OFFSET). Raises ``InvalidCursor``."""
    rows = list(audit_page_query(filters, after=after)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return AuditPage(rows, _cursor(rows[-1]) if more and rows else None)


def audit_entries_for_export(filters: AuditFilters) -> Iterator[AuditEntry]:
    """Every matching entry, streamed from the database in chunks."""
    return audit_entries(filters).iterator(chunk_size=1000)
