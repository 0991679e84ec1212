"""B3: the inbox's SQL plans at 100k tickets / 1M messages.

The SQL is not written here: each inbox request of ``bench/inbox.py``'s scenarios (list tabs,
scopes, filters, searches, ticket detail, messages page) goes through the real API in this
process under ``CaptureQueriesContext``, and every captured SELECT that reads ``tickets_ticket``
or ``tickets_message`` is run again as ``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` in the tenant's
schema (twice; the second, warm plan is reported). A plan passes when none of its nodes is a
sequential scan of either table, and its execution time is within
5 ms (50 ms for searches).

Figures: per request kind the slowest of its queries, and the number of sequential scans found.
``ctx.details["plans"]`` keeps each query's SQL, node summary and times for the JSON results.

Runs inside ``make bench`` on the seeded database (``bench/run_all.py``); it has no standalone
entry point of its own: ``bench/run_all.py --only B3`` runs it (and the seeding it needs).
"""

from __future__ import annotations

import json
import re
from typing import Any

from bench.harness import BenchContext, Figure, log
from bench.inbox import SLUG, harness_setup, headers_for, scenarios

NAME = "B3"
WATCHED = ("tickets_ticket", "tickets_message")
GOAL_MS = 5.0
GOAL_SEARCH_MS = 50.0


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [node]
    for child in node.get("Plans", []):
        nodes += _walk(child)
    return nodes


def _describe(node: dict[str, Any]) -> str:
    text = node["Node Type"]
    if "Relation Name" in node:
        text += f" on {node['Relation Name']}"
    if "Index Name" in node:
        text += f" using {node['Index Name']}"
    return text


def explain(cursor: Any, sql: str) -> dict[str, Any]:
    """The warm plan of ``sql`` (run twice) as parsed JSON."""
    plan: Any = None
    for _ in range(2):
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return plan[0]


def run(ctx: BenchContext) -> list[Figure]:
    harness_setup(ctx)
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bench.inbox import measure_clients
    from tenants.tenancy import tenant_scope

    tenant, clients, values = measure_clients()
    plans: list[dict[str, Any]] = []
    figures: list[Figure] = []
    seq_scans: list[str] = []
    for label, who, template in scenarios():
        path = template.format(**values)
        client = clients[who]
        headers = headers_for(path)
        client.get(path, **headers)  # warm the caches of this process
        with CaptureQueriesContext(connection) as captured:
            status = client.get(path, **headers).status_code
        statements = []
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            if not any(re.search(rf'"?{table}"?', sql) for table in WATCHED):
                continue
            if sql not in statements:
                statements.append(sql)
        worst = 0.0
        with tenant_scope(tenant), transaction.atomic(), connection.cursor() as cursor:
            for sql in statements:
                result = explain(cursor, sql)
                nodes = _walk(result["Plan"])
                scans = [
                    _describe(n)
                    for n in nodes
                    if "Seq Scan" in n["Node Type"] and n.get("Relation Name") in WATCHED
                ]
                seq_scans += [f"{label}: {s}" for s in scans]
                exec_ms = float(result["Execution Time"])
                worst = max(worst, exec_ms)
                plans.append(
                    {
                        "request": label,
                        "path": path,
                        "sql": sql,
                        "execution_ms": exec_ms,
                        "planning_ms": float(result["Planning Time"]),
                        "top_node": _describe(result["Plan"]),
                        "nodes": [_describe(n) for n in nodes],
                        "seq_scans": scans,
                        "shared_hit": result["Plan"].get("Shared Hit Blocks"),
                        "shared_read": result["Plan"].get("Shared Read Blocks"),
                    }
                )
                log(
                    NAME,
                    f"{label}: {exec_ms:.2f} ms, top {_describe(result['Plan'])}; "
                    + ", ".join(_describe(n) for n in nodes if "Scan" in n["Node Type"])[:300],
                )
            transaction.set_rollback(True)
        slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        goal = GOAL_SEARCH_MS if label.startswith("search") else GOAL_MS
        figures.append(
            ctx.figure(
                id=f"B3.{slug}.exec_ms",
                name=f"Inbox SQL, slowest statement: {label}",
                value=worst if statements and status == 200 else None,
                unit="ms",
                goal=("<=", goal),
                limit="L.pg_select_ms",
                note=f"HTTP {status}; {len(statements)} statement(s) on tickets/messages",
            )
        )
    ctx.details["plans"] = plans
    ctx.details["schema"] = SLUG
    figures.insert(
        0,
        ctx.figure(
            id="B3.seq_scans",
            name="Sequential scans on tickets_ticket / tickets_message in inbox plans",
            value=float(len(seq_scans)),
            unit="scans",
            goal=("==", 0),
            note="; ".join(seq_scans)[:300] or f"{len(plans)} plans checked",
        ),
    )
    return figures
