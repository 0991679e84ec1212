"""In-process cost of an inbound batch's follow-up tasks (the ``default`` queue), per task.

Not a load test: one process, no broker round trip for the tasks themselves. It stores
WhatsApp-like text items as ``InboundEvent`` rows and processes them in batches of
``--batch-size`` (``inbound_batch_process``, in autocommit like the inbound worker), first
``--events`` first contacts, then as many follow-ups from the same customers, and records every
task the batches publish to the ``default`` queue (name, arguments, headers). Then it runs those
tasks in the same process, as the worker would, with ``Task.apply`` from the public schema (the
tenant's schema switched by the task's headers, and back), and prints per task name: the tasks,
the statements, the process's CPU milliseconds (``time.process_time``: PostgreSQL's own work is
not in it) per task and per inbound message. ``--profile`` adds a cProfile of the tasks' run.

    .venv/bin/python bench/profile_followups.py --events 200
    .venv/bin/python bench/profile_followups.py --events 200 --profile

It creates and drops its own database (``--database``, must contain "bench") and uses its own
Redis database (``--redis-url``; its realtime keys and the queued tasks are deleted at the end).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.common import table  # noqa: E402
from bench.harness import bench_database  # noqa: E402

SLUG = "benchprofile"


def log(message: str) -> None:
    print(f"[profile_followups] {message}", file=sys.stderr, flush=True)


def record_and_process(connection: Any, *, tag: str, senders: range, batch_size: int) -> None:
    """One event per sender, stored and processed ``batch_size`` at a time."""
    from bench.profile_inbound import text_items
    from channels_integrations.services.inbound import inbound_events_record
    from channels_integrations.services.inbound_batches import inbound_batch_process

    numbers = list(senders)
    for start in range(0, len(numbers), batch_size):
        items = text_items(tag, numbers[start : start + batch_size])
        inbound_events_record(connection=connection, items=items)
        while inbound_batch_process(connection_id=connection.pk)[0]:
            pass


def run_tasks(
    published: list[tuple[str, Any, dict[str, Any]]],
    profiler: cProfile.Profile | None,
    show: bool = False,
) -> dict[str, dict[str, float]]:
    """Run the recorded tasks in process, from the public schema; per task name: count,
    statements and CPU seconds (``show``: print the statements of the first of each name)."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import get_public_schema_name

    from tiktickets.celery import app

    db.set_schema(get_public_schema_name())
    figures: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for name, args, headers in published:
        task = app.tasks[name]
        db.queries_log.clear()
        with CaptureQueriesContext(db) as captured:
            started = time.process_time()
            if profiler is not None:
                profiler.enable()
            result = task.apply(args=args, headers=headers)
            if profiler is not None:
                profiler.disable()
            cpu = time.process_time() - started
        if result.failed():
            raise RuntimeError(f"{name} failed: {result.result!r}")
        row = figures[name]
        if show and not row["tasks"]:
            print(name, file=sys.stderr)
            for query in captured.captured_queries:
                print("   ", query["sql"][:160], file=sys.stderr)
        row["tasks"] += 1
        row["statements"] += len(captured.captured_queries)
        row["cpu_s"] += cpu
    return figures


def measure(
    database: str, redis_url: str, events: int, batch_size: int, *, profile: bool, show: bool
) -> dict[str, Any]:
    os.environ["CHANNEL_LAYER_PREFIX"] = "tt-bench-followups-asgi"
    os.environ["CACHE_KEY_PREFIX"] = "tt-bench-followups"
    with bench_database(database, redis_url=redis_url, log=log, empty_redis=False):
        from celery.signals import before_task_publish

        from bench.profile_inbound import seed
        from core.redis import redis_client
        from tenants.tenancy import tenant_scope

        tenant, connection = seed()
        published: list[tuple[str, Any, dict[str, Any]]] = []

        def record(sender: str = "", body: Any = None, headers: Any = None, **kw: Any) -> None:
            if (kw.get("routing_key") or "") == "default":
                published.append((sender, list(body[0]), dict(headers or {})))

        before_task_publish.connect(record, weak=False)
        with tenant_scope(tenant):
            log(f"first contacts: {events}, batches of {batch_size}")
            record_and_process(
                connection, tag="first", senders=range(events), batch_size=batch_size
            )
            log(f"follow-ups: {events}")
            record_and_process(
                connection, tag="follow", senders=range(events), batch_size=batch_size
            )
        before_task_publish.disconnect(record)
        redis_client().delete("default", "inbound")
        # Warm-up: one run of each task name (imports, compiled statements).
        warm = {name: (name, args, headers) for name, args, headers in published}
        run_tasks(list(warm.values()), None)
        profiler = cProfile.Profile(time.process_time) if profile else None
        log(f"running {len(published)} tasks")
        figures = run_tasks(published, profiler, show)
        for key in redis_client().scan_iter(match=f"{SLUG}:*", count=1000):
            redis_client().delete(key)
    result: dict[str, Any] = {"messages": 2 * events, "tasks": figures}
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        result["profile"] = out.getvalue()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=200, help="first contacts (and follow-ups)")
    parser.add_argument("--batch-size", type=int, default=5, help="events per inbound batch")
    parser.add_argument("--database", default="tiktickets_bench_followups")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the tasks' run (CPU)")
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of the first task of each name"
    )
    args = parser.parse_args()
    result = measure(
        args.database,
        args.redis_url,
        args.events,
        args.batch_size,
        profile=args.profile,
        show=args.show_queries,
    )
    messages = result["messages"]
    rows = []
    total = {"tasks": 0.0, "statements": 0.0, "cpu_s": 0.0}
    for name, row in sorted(result["tasks"].items()):
        for key in total:
            total[key] += row[key]
        rows.append(
            [
                name.rsplit(".", 1)[-1],
                f"{row['tasks']:.0f}",
                f"{row['statements'] / row['tasks']:.1f}",
                f"{row['cpu_s'] * 1000 / row['tasks']:.2f}",
                f"{row['cpu_s'] * 1000 / messages:.3f}",
            ]
        )
    rows.append(
        [
            "all",
            f"{total['tasks']:.0f}",
            f"{total['statements'] / max(total['tasks'], 1):.1f}",
            f"{total['cpu_s'] * 1000 / max(total['tasks'], 1):.2f}",
            f"{total['cpu_s'] * 1000 / messages:.3f}",
        ]
    )
    print(f"{messages} inbound messages ({messages // 2} first contacts, then follow-ups)")
    header = ["task", "tasks", "statements/task", "CPU ms/task", "CPU ms/message"]
    print(table(rows, header=header))
    if "profile" in result:
        print(result["profile"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
