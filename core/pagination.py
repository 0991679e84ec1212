"""Keyset (cursor) pagination for API lists: stable under inserts, no OFFSET scans."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    """Opaque ``cursor`` links; ``page_size`` from 1 to 100 (default 40).

    Views set ``ordering`` to an indexed sequence of fields ending in a unique one (``-id``).
    """

    page_size = 40
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")
