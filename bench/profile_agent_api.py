"""CPU per request of the agent API's ticket endpoints: detail, messages page, send a note.

Not a load test and not part of ``make bench``: one process, no HTTP server. Requests go straight
into Django's WSGI handler (the production handler and the whole middleware stack) on the tenant
``bench/inbox.py --keep`` seeded, authenticated by a JWT as one of its agents (the B2 mix's
caller), on a persistent database connection as in production. The handlers a note runs once
committed (realtime, flows, web chat, webhooks) run inside the request, as they do in a worker.
For each endpoint it prints the CPU time of this process per request (``time.process_time``: the
PostgreSQL and Redis work is not in it), the server time and the SQL statements per request;
``--profile ENDPOINT`` prints a cProfile of that endpoint's requests.

    .venv/bin/python bench/inbox.py --contacts 2500 --messages-per-ticket 3 \\
        --database tiktickets_bench_reqfast --keep --requests 5        # seed once
    .venv/bin/python bench/profile_agent_api.py --database tiktickets_bench_reqfast
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import pstats
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.common import check_database_name, percentile, table  # noqa: E402

SLUG = "benchinbox"
ENDPOINTS = ("ticket detail", "messages page", "send note")


def log(message: str) -> None:
    print(f"[profile_agent_api] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="tiktickets_bench_inbox")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint")
    parser.add_argument("--agent", default="agente0@example.com")
    parser.add_argument("--profile", choices=ENDPOINTS, help="cProfile this endpoint")
    parser.add_argument("--top", type=int, default=30, help="functions shown by --profile")
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative")
    parser.add_argument("--show-queries", action="store_true", help="print one request's SQL")
    return parser.parse_args()


@contextmanager
def _statements() -> Iterator[list[str]]:
    from django.db import connection

    seen: list[str] = []

    def execute(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(execute):
        yield seen


def _environ(method: str, path: str, token: str, body: bytes = b"") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": f"{SLUG}.localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": f"{SLUG}.localhost",
        "HTTP_ACCEPT": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_X_FORWARDED_PROTO": "https",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _call(handler: Any, method: str, path: str, token: str, body: bytes = b"") -> int:
    status: list[str] = []

    def start_response(line: str, headers: Any, exc_info: Any = None) -> None:
        status.append(line)

    b"".join(handler(_environ(method, path, token, body), start_response))
    return int(status[0].split()[0])


def _agent_and_tickets(email: str) -> tuple[str, list[str]]:
    from accounts.models import User
    from accounts.tokens import issue_token_pair
    from tenants.models import Tenant
    from tenants.tenancy import public_scope, tenant_scope
    from tickets.selectors import tickets_visible_to

    with public_scope():
        tenant = Tenant.objects.get(schema_name=SLUG)
    with tenant_scope(tenant):
        agent = User.objects.get(email=email)
        tickets = [
            str(public_id)
            for public_id in tickets_visible_to(agent)
            .exclude(status="closed")
            .order_by("-last_message_at")
            .values_list("public_id", flat=True)[:20]
        ]
        return issue_token_pair(agent)["access"], tickets


def _request(endpoint: str, ticket: str, n: int) -> tuple[str, str, bytes]:
    if endpoint == "ticket detail":
        return "GET", f"/api/v1/tickets/{ticket}/", b""
    if endpoint == "messages page":
        return "GET", f"/api/v1/tickets/{ticket}/messages/", b""
    return "POST", f"/api/v1/tickets/{ticket}/notes/", json.dumps({"body": f"note {n}"}).encode()


def run(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections

    connections["default"].settings_dict["CONN_MAX_AGE"] = 60
    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("django.request").setLevel(logging.ERROR)
    handler = WSGIHandler()
    token, tickets = _agent_and_tickets(args.agent)
    rows = []
    for endpoint in ENDPOINTS:
        for n in range(30):  # warm-up: caches, connections, lazy imports
            method, path, body = _request(endpoint, tickets[n % len(tickets)], n)
            status = _call(handler, method, path, token, body)
            if status >= 300:
                log(f"{endpoint}: {status}")
                return 1
        cpu: list[float] = []
        wall: list[float] = []
        queries: list[int] = []
        profiler = cProfile.Profile() if args.profile == endpoint else None
        last: list[str] = []
        for n in range(args.requests):
            method, path, body = _request(endpoint, tickets[n % len(tickets)], n)
            with _statements() as statements:
                if profiler is not None:
                    profiler.enable()
                started, started_cpu = time.perf_counter(), time.process_time()
                _call(handler, method, path, token, body)
                cpu.append((time.process_time() - started_cpu) * 1000)
                wall.append((time.perf_counter() - started) * 1000)
                if profiler is not None:
                    profiler.disable()
            queries.append(len(statements))
            last = statements
        rows.append(
            [
                endpoint,
                f"{statistics.fmean(cpu):.2f}",
                f"{statistics.median(cpu):.2f}",
                f"{percentile(wall, 50):.2f}",
                f"{percentile(wall, 99):.2f}",
                f"{statistics.median(queries):g}",
            ]
        )
        if args.show_queries:
            print(f"\nSQL of the last request ({endpoint}):")
            for sql in last:
                print(f"  {sql[:300]}")
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(f"\ncProfile ({endpoint}):\n{out.getvalue()}")
    print(f"\n{args.requests} requests per endpoint, as {args.agent}, in this process")
    print(
        table(
            rows,
            header=["endpoint", "CPU ms mean", "CPU ms p50", "wall p50", "wall p99", "queries"],
        )
    )
    return 0


def main() -> int:
    args = parse_args()
    from bench.harness import django_setup

    django_setup(check_database_name(args.database), redis_url=args.redis_url)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
