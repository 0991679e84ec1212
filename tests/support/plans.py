"""A queryset's PostgreSQL plan as a flat list of its nodes, for tests that pin a plan's shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import QuerySet


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def plan_nodes(queryset: QuerySet[Any], *, without_seqscan: bool = False) -> list[dict[str, Any]]:
    """Every node of the queryset's plan (``EXPLAIN (FORMAT JSON)``), outermost first.

    ``without_seqscan`` prices sequential scans out for the one statement: a test database is
    too small for the planner to prefer an index on its own."""
    if without_seqscan:
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
    try:
        plan = json.loads(queryset.explain(format="json"))
    finally:
        if without_seqscan:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_seqscan")
    return list(_nodes(plan[0]["Plan"]))
