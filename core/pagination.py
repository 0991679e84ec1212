"""Keyset (cursor) pagination for API lists: stable under inserts, no OFFSET scans."""

from __future__ import annotations

from typing import Any, Protocol

from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    """Opaque ``cursor`` links; ``page_size`` from 1 to 100 (default 40).

    Views set ``ordering`` to an indexed sequence of fields ending in a unique one (``-id``).
    """

    page_size = 40
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")


class PageReader(Protocol):
    """Reads one page of a list whose SQL is compiled once per shape: rows
    ``[offset:offset + limit]`` in the list's order (``reverse``: the opposite one), past
    ``after`` (``("lt" | "gt", value of the ordering's first field)``)."""

    def __call__(
        self, *, reverse: bool, after: tuple[str, Any] | None, offset: int, limit: int
    ) -> list[dict[str, Any]]: ...


class KeysetRows:
    """A list's rows as ``KeysetPagination`` reads them, without a queryset: the paginator
    orders them (``ordering`` or its reverse), keeps those past a cursor's position on the
    ordering's first field and slices a page; ``read`` reads that page (with SQL compiled once
    per shape, where building and compiling the queryset cost more than running it). Any
    other ordering or filter is refused, so the paginator cannot ask for what ``read`` would
    not give."""

    def __init__(
        self,
        ordering: tuple[str, ...],
        read: PageReader,
        *,
        reverse: bool = False,
        after: tuple[str, Any] | None = None,
    ) -> None:
        self.ordering, self.read, self.reverse, self.after = ordering, read, reverse, after

    def order_by(self, *ordering: str) -> KeysetRows:
        reversed_ordering = tuple(
            field[1:] if field.startswith("-") else f"-{field}" for field in self.ordering
        )
        if ordering not in (self.ordering, reversed_ordering):
            raise ValueError(f"these rows are not ordered by {ordering}")
        return KeysetRows(
            self.ordering, self.read, reverse=ordering != self.ordering, after=self.after
        )

    def filter(self, **lookup: Any) -> KeysetRows:
        ((key, position),) = lookup.items()
        field, _, comparison = key.partition("__")
        if field != self.ordering[0].removeprefix("-") or comparison not in ("lt", "gt"):
            raise ValueError(f"these rows are not filtered by {key}")
        return KeysetRows(
            self.ordering, self.read, reverse=self.reverse, after=(comparison, position)
        )

    def __getitem__(self, bounds: slice) -> list[dict[str, Any]]:
        start, stop = bounds.start or 0, bounds.stop
        return self.read(reverse=self.reverse, after=self.after, offset=start, limit=stop - start)
