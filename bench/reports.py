"""Reports at scale: the /reports/ dashboard on the 100k-ticket / 1M-message seed.

What is measured
----------------
The seed of ``bench/inbox.py`` has tickets and messages but no timeline, so this module first
writes one as the services would (a ``created`` entry per ticket, an ``accepted`` entry for
every ticket an agent holds or held, a ``closed`` entry per closed ticket, with closes spread
5 to 185 minutes after the opening), then rebuilds the attendance rollup from it with
``manage.py reports_rebuild``'s service (timed: the figure says how long a full rebuild of
100k attendances takes). Then, in this process through Django's test client (full middleware,
tenant routing, session, templates; no HTTP server, so *server time*): the dashboard for the
last 30 days and for a year, as the tenant admin and as an agent, and the API summary for a
year. Each kind: ``requests`` timed requests after a warm-up give p50 / p99, and one more
under ``CaptureQueriesContext`` gives the number of queries (the same for every range).

Goals (issue 15): the dashboard p99 <= 300 ms for 30 days and <= 1 s for a year.
``ctx.details["reports_plans"]`` keeps the warm ``EXPLAIN ANALYZE`` of the dashboard's
aggregate queries over a year.

Runs inside ``make bench`` after the inbox modules, on the seeded database
(``bench/run_all.py --only reports`` runs it and the seeding it needs).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from bench.common import percentile
from bench.harness import BenchContext, Figure
from bench.inbox import SLUG, harness_setup, log, measure_clients

GOAL_30D_MS = 300.0
GOAL_YEAR_MS = 1000.0


def _timeline(cursor: Any) -> int:
    """Write the seed's timeline once (skipped when it is there); returns the entries written."""
    cursor.execute(f"SELECT count(*) FROM {SLUG}.tickets_ticketevent")
    if cursor.fetchone()[0]:
        return 0
    statements = [
        f"UPDATE {SLUG}.tickets_ticket SET closed_at = created_at "
        "+ make_interval(mins => (id % 181)::int + 5) WHERE status = 'closed'",
        f"INSERT INTO {SLUG}.tickets_ticketevent (ticket_id, kind, actor_id, data, created_at) "
        f"SELECT id, 'created', NULL, '{{}}', created_at FROM {SLUG}.tickets_ticket",
        f"INSERT INTO {SLUG}.tickets_ticketevent (ticket_id, kind, actor_id, data, created_at) "
        "SELECT id, 'accepted', assignee_id, '{}', "
        "created_at + make_interval(mins => (id % 41)::int) "
        f"FROM {SLUG}.tickets_ticket WHERE status <> 'pending' AND assignee_id IS NOT NULL",
        f"INSERT INTO {SLUG}.tickets_ticketevent (ticket_id, kind, actor_id, data, created_at) "
        f"SELECT id, 'closed', assignee_id, '{{}}', closed_at FROM {SLUG}.tickets_ticket "
        "WHERE status = 'closed'",
    ]
    written = 0
    for statement in statements:
        cursor.execute(statement)
        written += cursor.rowcount if statement.startswith("INSERT") else 0
    cursor.execute(f"ANALYZE {SLUG}.tickets_ticketevent")
    cursor.execute(f"ANALYZE {SLUG}.tickets_ticket")
    return written


def _plans(tenant: Any, admin: Any, days: int) -> list[dict[str, Any]]:
    """The warm EXPLAIN ANALYZE of the dashboard's aggregate queries over ``days`` days."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from reports.selectors import Period, ReportFilters, report_build
    from tenants.tenancy import tenant_scope

    plans = []
    with tenant_scope(tenant):
        zone = timezone.get_default_timezone()
        today = timezone.now().astimezone(zone).date()
        period = Period(today - timedelta(days=days - 1), today, zone)
        with CaptureQueriesContext(connection) as captured:
            report_build(user=admin, filters=ReportFilters(), period=period)
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if "reports_attendance" not in sql and "tickets_ticketevent" not in sql:
                    continue
                for _ in range(2):
                    cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                    plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                plans.append(
                    {
                        "sql": sql[:300],
                        "execution_ms": plan[0]["Execution Time"],
                        "top": plan[0]["Plan"]["Node Type"],
                    }
                )
    return plans


def run(ctx: BenchContext) -> list[Figure]:
    """Rebuild the rollup of the seed, then time the dashboard at 30 days and a year."""
    harness_setup(ctx)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.services import attendances_refresh
    from tenants.tenancy import tenant_scope

    tenant, clients, _values = measure_clients()
    with tenant_scope(tenant), connection.cursor() as cursor:
        started = time.perf_counter()
        written = _timeline(cursor)
        log(f"timeline: {written:,} entries in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        rebuilt = attendances_refresh()
        rebuild_s = time.perf_counter() - started
    # What autovacuum does after a rebuild rewrote rows: the backlog's index-only scan needs the
    # visibility map. (Outside any transaction, as VACUUM must be.)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {SLUG}.reports_attendance")
    log(f"rollup: {rebuilt:,} attendances written in {rebuild_s:.1f} s")

    year = "period=custom&start={first}&end={last}"
    from django.utils import timezone

    today = timezone.now().date()
    year = year.format(first=(today - timedelta(days=364)).isoformat(), last=today.isoformat())
    scenarios = [
        ("dashboard 30 days (admin)", "admin", "/reports/?period=30d", GOAL_30D_MS),
        ("dashboard 1 year (admin)", "admin", f"/reports/?{year}", GOAL_YEAR_MS),
        ("dashboard 30 days (agent)", "agent", "/reports/?period=30d", GOAL_30D_MS),
        ("API summary 1 year (admin)", "admin", f"/api/v1/reports/summary/?{year}", GOAL_YEAR_MS),
    ]
    # A year's dashboard takes several times a month's: fewer of them fit the module's budget.
    requests_for = {
        GOAL_30D_MS: max(20, int(40 * ctx.scale)),
        GOAL_YEAR_MS: max(10, int(15 * ctx.scale)),
    }
    figures = [
        ctx.figure(
            id="REPORTS.rebuild_seconds",
            name="Reports: full rollup rebuild from the timeline",
            value=rebuild_s,
            unit="s",
            note=f"{rebuilt:,} attendances written (new or changed)",
        )
    ]
    results = []
    for label, who, path, goal in scenarios:
        requests = requests_for[goal]
        client = clients[who]
        status = client.get(path).status_code
        for _ in range(3):
            client.get(path)
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        p50, p99 = percentile(timings, 50), percentile(timings, 99)
        results.append(
            {
                "label": label,
                "path": path,
                "status": status,
                "queries": len(queries),
                "p50_ms": p50,
                "p99_ms": p99,
            }
        )
        log(f"{label}: {status}, p50 {p50:.1f} ms, p99 {p99:.1f} ms, {len(queries)} queries")
        slug = label.lower().replace(" ", "_").replace("(", "").replace(")", "")
        figures.append(
            ctx.figure(
                id=f"REPORTS.{slug}.p99",
                name=f"Reports server time p99: {label}",
                value=p99 if status == 200 else None,
                unit="ms",
                goal=("<=", goal),
                limit="L.pg_select_ms",
                note=f"HTTP {status}; p50 {p50:.1f} ms; {len(queries)} queries; "
                f"{requests} requests",
            )
        )
    ctx.details["reports"] = results
    with tenant_scope(tenant):
        from accounts.models import User

        admin = User.objects.get(email="admin@example.com")
    ctx.details["reports_plans"] = _plans(tenant, admin, 365)
    for plan in ctx.details["reports_plans"]:
        log(f"plan {plan['execution_ms']:.1f} ms ({plan['top']}): {plan['sql'][:90]}")
    return figures
