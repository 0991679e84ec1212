"""B8: outbound webhooks: fan-out throughput to a loopback receiver, and the latency the
webhooks add to the path of a change that publishes an event.

What is measured
----------------
1. **Added latency on the event path**: wall time of ``contact_create`` in its own transaction,
   commit included (the event bus runs its subscribers on commit: with subscriptions, the
   webhook handler reads the subscriptions, stores one delivery each and enqueues one Celery
   task each on Redis). ``--events`` creations with no subscription, then as many with 10
   subscriptions; p50/p99 of each and the p99 difference.
2. **Fan-out throughput**: the deliveries stored in step 1 (events x 10 subscriptions) are
   sent by ``--workers`` threads calling ``webhook_delivery_attempt``, the service the Celery
   task calls (claim, sign, POST to a real HTTP server on 127.0.0.1 answering 200, record the
   attempt): deliveries per second, wall clock. The Celery worker's own overhead (broker
   round trip per task) is not included.

Isolation: its own database (``<prefix>_webhooks``, dropped at the end) and Redis database.

Usage (alone)::

    .venv/bin/python bench/webhooks.py --events 200 --workers 8
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402
from bench.harness import BenchContext, Figure, bench_database, log  # noqa: E402

SUBSCRIPTIONS = 10


class _Receiver(BaseHTTPRequestHandler):
    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with _Receiver.lock:
            _Receiver.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


def measure(database: str, redis_url: str, *, events: int, workers: int) -> dict[str, Any]:
    # Webhook targets on loopback are refused unless the installation trusts them.
    os.environ["OUTBOUND_HTTP_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        with bench_database(database, redis_url=redis_url, log=lambda m: log("B8", m)):
            return _measure(url, events=events, workers=workers)
    finally:
        server.shutdown()
        server.server_close()


def _measure(url: str, *, events: int, workers: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from accounts.models import User
    from contacts.services import contact_create
    from integrations.models import WebhookDelivery
    from integrations.services.webhooks import webhook_create, webhook_delivery_attempt
    from tenants.services import tenant_provision
    from tenants.tenancy import tenant_scope

    tenant = tenant_provision(
        name="Bench hooks",
        slug="benchhooks",
        admin_email="admin@benchhooks.test",
        admin_password="Bench-Password-42",
        admin_name="Bench",
    ).tenant

    def create_contacts(offset: int) -> list[float]:
        timings = []
        for n in range(events):
            started = time.perf_counter()
            with transaction.atomic():
                contact_create(name=f"Bench {offset + n}", phone=f"+55119{offset + n:08d}")
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    with tenant_scope(tenant):
        admin = User.objects.get(email="admin@benchhooks.test")
        create_contacts(10_000_000)  # warm-up: imports, caches, connections
        without = create_contacts(20_000_000)
        for n in range(SUBSCRIPTIONS):
            webhook_create(by=admin, name=f"S{n}", url=url, event_types=["contact.created"])
        with_subs = create_contacts(30_000_000)
        ids = list(WebhookDelivery.objects.values_list("pk", flat=True))

    def deliver(delivery_id: int) -> str:
        try:
            with tenant_scope(tenant):
                return webhook_delivery_attempt(delivery_id=delivery_id).result
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(deliver, ids))
    elapsed = time.perf_counter() - started
    return {
        "events": events,
        "deliveries": len(ids),
        "succeeded": results.count("succeeded"),
        "received": _Receiver.received,
        "seconds": elapsed,
        "per_second": len(ids) / elapsed if elapsed else 0.0,
        "without_p50_ms": percentile(without, 50),
        "without_p99_ms": percentile(without, 99),
        "with_p50_ms": percentile(with_subs, 50),
        "with_p99_ms": percentile(with_subs, 99),
        "workers": workers,
    }


def figures(ctx: BenchContext, r: dict[str, Any]) -> list[Figure]:
    added = r["with_p99_ms"] - r["without_p99_ms"]
    return [
        ctx.figure(
            id="B8.fanout.deliveries_per_s",
            name=f"Webhook deliveries per second ({SUBSCRIPTIONS} subscriptions, loopback)",
            value=r["per_second"],
            unit="/s",
            goal=(">=", 100),
            note=(
                f"{r['succeeded']}/{r['deliveries']} delivered by {r['workers']} threads "
                f"in {r['seconds']:.1f} s"
            ),
        ),
        ctx.figure(
            id="B8.event_path.added_p99_ms",
            name=f"Added p99 on the event path ({SUBSCRIPTIONS} subscriptions vs none)",
            value=added,
            unit="ms",
            goal=("<=", 50),
            note=(
                f"contact_create + commit p99 {r['without_p99_ms']:.1f} -> "
                f"{r['with_p99_ms']:.1f} ms (p50 {r['without_p50_ms']:.1f} -> "
                f"{r['with_p50_ms']:.1f} ms), {r['events']} events each"
            ),
        ),
    ]


def run(ctx: BenchContext) -> list[Figure]:
    """B8 inside ``make bench``."""
    events = max(int(200 * ctx.scale), 20)
    result = measure(ctx.database("webhooks"), ctx.redis_url, events=events, workers=8)
    ctx.details["b8"] = result
    return figures(ctx, result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--database", default="tiktickets_bench_webhooks")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    result = measure(args.database, args.redis_url, events=args.events, workers=args.workers)
    for key, value in result.items():
        print(f"{key:>16}: {value:.2f}" if isinstance(value, float) else f"{key:>16}: {value}")


if __name__ == "__main__":
    main()
