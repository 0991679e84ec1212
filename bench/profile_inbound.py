"""In-process cost of inbound processing: queries and time per event, first contact and follow-up.

Not a load test: one process, no Celery, no HTTP. It stores WhatsApp-like text items as
``InboundEvent`` rows (as the webhook view does) and runs ``inbound_event_process`` on each, in
autocommit like the worker, so the after-commit realtime handlers run too (channel layer on a
real Redis). Two phases of ``--events`` events each:

- **first contact**: every event comes from a new customer (new contact, identity and ticket,
  ``ticket.created`` + ``message.created``);
- **follow-up**: the same customers write again (ticket reused, ``message.created`` only).

It prints, per phase, the queries per event (every SQL statement, counted with Django's
``CaptureQueriesContext``), the Celery tasks published per event (the subscribers' tasks: one
per batch where a task takes a list), the in-process milliseconds per event (median and
mean), the process's CPU milliseconds per event (``time.process_time`` over the phase's
processing: PostgreSQL's and Redis's own work is not in it) and the events per second, and
with ``--profile`` the top functions of a cProfile of the first-contact phase (of the
follow-ups with ``--profile-phase follow``). The tenant has a queue
of 20 agents, like bench/ingest.py.

    .venv/bin/python bench/profile_inbound.py                  # 100 events per phase, ~20 s
    .venv/bin/python bench/profile_inbound.py --events 200 --profile

``--acks N`` measures the other side instead: N signed WhatsApp webhooks posted in process
through the whole Django stack (``django.test.Client``: middleware, the shared Meta callback,
the signature, the insert and the on-commit publish of the connection's batch task), each from a
new customer; it prints the statements and the milliseconds per acknowledgement (P2's ack path,
without gunicorn and the network), and with ``--profile`` a cProfile of those requests.

    .venv/bin/python bench/profile_inbound.py --acks 300 --profile

It creates and drops its own database (``--database``, must contain "bench") and uses its own
Redis database (``--redis-url``; its realtime keys are flushed at the end).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.common import table  # noqa: E402
from bench.harness import bench_database  # noqa: E402

SLUG = "benchprofile"
PHONE = "5550000001"
APP_SECRET = "bench"
AGENTS = 20


def log(message: str) -> None:
    print(f"[profile_inbound] {message}", file=sys.stderr, flush=True)


def seed() -> tuple[Any, Any]:
    """A tenant with a queue of 20 agents and a WhatsApp connection into it."""
    from bench.seeding import tenant_with_agents
    from connections.models import ChannelConnection
    from tenants.services import tenant_public_ensure
    from tenants.tenancy import tenant_scope
    from tickets.models import ConnectionRouting

    tenant_public_ensure()
    tenant, queue, _agents = tenant_with_agents(
        name="Bench profile", slug=SLUG, email_domain="profile.example", agents=AGENTS
    )
    with tenant_scope(tenant):
        connection = ChannelConnection(
            provider="whatsapp_cloud", name="WhatsApp", status="connected"
        )
        connection.credentials = {
            "phone_number_id": PHONE,
            "access_token": "bench",
            "app_secret": APP_SECRET,
        }
        connection.save()
        ConnectionRouting.objects.create(connection=connection, default_queue=queue)
    return tenant, connection


def text_items(tag: str, senders: Iterable[int]) -> list[Any]:
    """A WhatsApp-like text item from each sender number (``InboundMessage``)."""
    from channels_integrations.providers.base import InboundMessage

    return [
        InboundMessage(
            event_id=f"{tag}-{n}",
            external_id=f"55119{n:08d}",
            provider_message_id=f"wamid.{tag}.{n}",
            kind="text",
            body=f"Olá, mensagem {tag} número {n}",
            contact_name=f"Cliente {n}",
            contact_phone=f"55119{n:08d}",
        )
        for n in senders
    ]


def phase(
    connection: Any,
    *,
    tag: str,
    senders: range,
    profiler: cProfile.Profile | None = None,
    show_queries: bool = False,
    batch: bool = False,
) -> dict[str, Any]:
    """Record one event per sender, then process each (or, with ``batch``, the connection's
    batches, each batch's cost divided among its events); queries and ms per event."""
    from celery.signals import after_task_publish
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from channels_integrations.models import InboundEvent
    from channels_integrations.services.inbound import (
        inbound_event_process,
        inbound_events_record,
    )

    items = text_items(tag, senders)
    event_ids = inbound_events_record(connection=connection, items=items)
    queries: list[int] = []
    millis: list[float] = []
    published: list[str] = []
    cpu_started = time.process_time()

    def count(sender: str = "", **_kwargs: Any) -> None:
        published.append(sender)

    after_task_publish.connect(count, weak=False)
    if batch:
        queries, millis = _batches(connection, profiler)
    for event_id in [] if batch else event_ids:
        db.queries_log.clear()  # a full log (9,000 entries) would count 0 statements
        with CaptureQueriesContext(db) as captured:
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            inbound_event_process(event_id=event_id)
            if profiler is not None:
                profiler.disable()
            millis.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
        if show_queries and len(queries) == 1:
            for query in captured.captured_queries:
                print(query["sql"][:300], file=sys.stderr)
    after_task_publish.disconnect(count)
    cpu_ms = (time.process_time() - cpu_started) * 1000
    processed = InboundEvent.objects.filter(pk__in=event_ids, status="processed").count()
    if processed != len(event_ids):
        raise RuntimeError(f"{tag}: {processed} of {len(event_ids)} events processed")
    return {
        "events": len(event_ids),
        "queries_per_event": statistics.mean(queries),
        "queries_min": min(queries),
        "queries_max": max(queries),
        "tasks_per_event": len(published) / len(event_ids),
        "ms_median": statistics.median(millis),
        "ms_mean": statistics.mean(millis),
        "cpu_ms": cpu_ms / len(event_ids),
        "events_per_s": len(event_ids) / (sum(millis) / 1000),
    }


def _batches(connection: Any, profiler: cProfile.Profile | None) -> tuple[list[int], list[float]]:
    """Process the connection's waiting events in batches (``inbound_batch_process``, in
    autocommit like the worker); each batch's queries and milliseconds per event, one entry per
    event."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from channels_integrations.services.inbound_batches import inbound_batch_process

    queries: list[int] = []
    millis: list[float] = []
    while True:
        db.queries_log.clear()  # a full log (9,000 entries) would count 0 statements
        with CaptureQueriesContext(db) as captured:
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            claimed, _ = inbound_batch_process(connection_id=connection.pk)
            if profiler is not None:
                profiler.disable()
            elapsed = (time.perf_counter() - started) * 1000
        if not claimed:
            return queries, millis
        queries += [round(len(captured.captured_queries) / claimed)] * claimed
        millis += [elapsed / claimed] * claimed


def acks(
    tenant: Any, connection: Any, count: int, profiler: cProfile.Profile | None
) -> dict[str, Any]:
    """``count`` signed webhooks through ``django.test.Client`` (in autocommit, on-commit
    callbacks run); statements and milliseconds per acknowledgement."""
    from django.db import connection as db
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from simulator import whatsapp_delivery
    from tenants.channel_routes import channel_routes_set
    from tenants.tenancy import tenant_scope

    with tenant_scope(tenant):
        channel_routes_set(
            provider="whatsapp_cloud", connection_public_id=connection.public_id, keys=[PHONE]
        )
    client = Client(headers={"Host": "localhost", "X-Forwarded-Proto": "https"})
    queries: list[int] = []
    millis: list[float] = []
    for n in range(-10, count):  # the first ten warm the process and are not counted
        delivery = whatsapp_delivery(
            app_secret=APP_SECRET,
            phone_number_id=PHONE,
            sender=f"55118{n + 10:08d}",
            message_id=f"wamid.ACK.{n}",
            text=f"ack {n}",
        )
        headers = {"X-Hub-Signature-256": delivery.headers["X-Hub-Signature-256"]}
        db.queries_log.clear()  # a full log (9,000 entries) would count 0 statements
        with CaptureQueriesContext(db) as captured:
            started = time.perf_counter()
            if profiler is not None and n >= 0:
                profiler.enable()
            response = client.post(
                delivery.path,
                data=delivery.body,
                content_type="application/json",
                headers=headers,
            )
            if profiler is not None and n >= 0:
                profiler.disable()
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"webhook answered {response.status_code}: {response.content!r}")
        if n >= 0:
            millis.append(elapsed)
            queries.append(len(captured.captured_queries))
    return {
        "events": count,
        "queries_per_event": statistics.mean(queries),
        "queries_min": min(queries),
        "queries_max": max(queries),
        "tasks_per_event": 0.0,
        "ms_median": statistics.median(millis),
        "ms_mean": statistics.mean(millis),
        "ms_p99": sorted(millis)[max(0, int(len(millis) * 0.99) - 1)],
    }


def measure(
    database: str,
    redis_url: str,
    events: int,
    *,
    profile: bool,
    show: bool = False,
    batch: bool = False,
    ack_count: int = 0,
    profile_phase: str = "first",
    profile_out: str = "",
    profile_cpu: bool = False,
) -> dict[str, Any]:
    os.environ["CHANNEL_LAYER_PREFIX"] = "tt-bench-profile-asgi"
    os.environ["CACHE_KEY_PREFIX"] = "tt-bench-profile"
    # Only this module's keys are deleted from Redis (at the end): the database is not emptied.
    with bench_database(database, redis_url=redis_url, log=log, empty_redis=False):
        from core.redis import redis_client
        from tenants.tenancy import tenant_scope

        tenant, connection = seed()
        profiler = None
        if profile:
            profiler = cProfile.Profile(time.process_time) if profile_cpu else cProfile.Profile()
        if ack_count:
            timed: dict[str, Any] = {"acks": acks(tenant, connection, ack_count, profiler)}
            redis_client().delete("inbound")  # the batch tasks the acks published
            if profiler is not None:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
                timed["profile"] = out.getvalue()
            return timed
        with tenant_scope(tenant):
            # Warm-up: imports, the tenant's settings cache, Redis connections, the sender loop.
            phase(connection, tag="warm", senders=range(events, events + 5), batch=batch)
            log(f"first contact: {events} events")
            senders = range(events)
            first = phase(
                connection,
                tag="first",
                senders=senders,
                profiler=profiler if profile_phase == "first" else None,
                show_queries=show,
                batch=batch,
            )
            log(f"follow-up: {events} events")
            # The same senders again: their contacts and tickets exist.
            follow = phase(
                connection,
                tag="follow",
                senders=senders,
                profiler=profiler if profile_phase == "follow" else None,
                show_queries=show,
                batch=batch,
            )
            for key in redis_client().scan_iter(match=f"{SLUG}:*", count=1000):
                redis_client().delete(key)
    result: dict[str, Any] = {"first_contact": first, "follow_up": follow}
    if profiler is not None:
        if profile_out:
            profiler.dump_stats(profile_out)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        result["profile"] = out.getvalue()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100, help="events per phase")
    parser.add_argument("--database", default="tiktickets_bench_profile")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"),
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the first-contact phase")
    parser.add_argument(
        "--profile-phase",
        choices=("first", "follow"),
        default="first",
        help="with --profile: the phase to profile (first contact or follow-up)",
    )
    parser.add_argument("--profile-out", default="", help="with --profile: also dump the stats")
    parser.add_argument(
        "--profile-cpu",
        action="store_true",
        help="with --profile: time the process's CPU (process_time), not the wall clock",
    )
    parser.add_argument(
        "--batch", action="store_true", help="process in the connection's batches (the worker)"
    )
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of one event of each phase"
    )
    parser.add_argument(
        "--acks", type=int, default=0, help="time N webhook acknowledgements instead"
    )
    args = parser.parse_args()
    result = measure(
        args.database,
        args.redis_url,
        args.events,
        profile=args.profile,
        show=args.show_queries,
        batch=args.batch,
        ack_count=args.acks,
        profile_phase=args.profile_phase,
        profile_out=args.profile_out,
        profile_cpu=args.profile_cpu,
    )
    if "acks" in result:
        r = result["acks"]
        print(
            table(
                [
                    [
                        str(r["events"]),
                        f"{r['queries_per_event']:.1f} ({r['queries_min']}-{r['queries_max']})",
                        f"{r['ms_median']:.2f}",
                        f"{r['ms_mean']:.2f}",
                        f"{r['ms_p99']:.2f}",
                    ]
                ],
                header=["acks", "queries/ack", "ms median", "ms mean", "ms p99"],
            )
        )
        if "profile" in result:
            print(result["profile"])
        return 0
    rows = [
        [
            name.replace("_", " "),
            str(r["events"]),
            f"{r['queries_per_event']:.1f} ({r['queries_min']}-{r['queries_max']})",
            f"{r['tasks_per_event']:.2f}",
            f"{r['ms_median']:.1f}",
            f"{r['ms_mean']:.1f}",
            f"{r['cpu_ms']:.1f}",
            f"{r['events_per_s']:.0f}",
        ]
        for name, r in (
            ("first_contact", result["first_contact"]),
            ("follow_up", result["follow_up"]),
        )
    ]
    header = [
        "inbound event",
        "events",
        "queries/event",
        "tasks/event",
        "ms median",
        "ms mean",
        "CPU ms/event",
        "events/s",
    ]
    print(table(rows, header=header))
    if "profile" in result:
        print(result["profile"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
