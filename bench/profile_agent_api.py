"""CPU per request of the B2 mix's endpoints: inbox list, detail, messages page, note, search.

Not a load test and not part of ``make bench``: one process, no HTTP server. Requests go straight
into Django's WSGI handler (the production handler and the whole middleware stack) on the tenant
``bench/inbox.py --keep`` seeded, authenticated by a JWT as one of its agents (the B2 mix's
caller), on a persistent database connection as in production. The handlers a note runs once
committed (realtime, flows, web chat, webhooks) run inside the request, as they do in a worker.
The endpoints are those of ``bench/locustfile_api.py`` with the same requests (the list's four
statuses, the search's two kinds of term) and its weights. For each endpoint it prints the CPU
time of this process per request (``time.process_time``: the PostgreSQL and Redis work is not in
it), the server time and the SQL statements per request, and the mix's CPU per request weighted as
B2 weighs it; ``--rounds N`` measures every endpoint N times, interleaved, and prints the minimum
and the median of the rounds' p50. ``--profile ENDPOINT`` prints a cProfile of that endpoint's
requests (``--cpu-timer`` to count CPU time instead of wall time).

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
import os
import pstats
import secrets
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

from cryptography.fernet import Fernet  # noqa: E402

from bench.common import check_database_name, percentile, table, wsgi_environ  # noqa: E402

SLUG = "benchinbox"
# Each endpoint of B2's mix and its weight there (bench/locustfile_api.py's tasks).
WEIGHTS = {
    "inbox list": 40,
    "ticket detail": 12,
    "messages page": 13,
    "send note": 15,
    "search": 5,
}
ENDPOINTS = tuple(WEIGHTS)
# The list's statuses and the search's terms, as the locust users pick them.
STATUSES = ("pending", "open", "open", "closed")
SEARCH_TERMS = ("estorno", "Cliente 01234")


def log(message: str) -> None:
    print(f"[profile_agent_api] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="tiktickets_bench_inbox")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint")
    parser.add_argument("--rounds", type=int, default=1, help="measurements of every endpoint")
    parser.add_argument(
        "--only", action="append", choices=ENDPOINTS, help="measure only these endpoints"
    )
    parser.add_argument("--agent", default="agente0@example.com")
    parser.add_argument("--profile", choices=ENDPOINTS, help="cProfile this endpoint")
    parser.add_argument("--top", type=int, default=30, help="functions shown by --profile")
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative")
    parser.add_argument(
        "--cpu-timer", action="store_true", help="--profile counts CPU time (process_time)"
    )
    parser.add_argument("--show-queries", action="store_true", help="print one request's SQL")
    parser.add_argument(
        "--settings",
        choices=("prod", "dev"),
        default="prod",
        help="the Django settings: prod (as gunicorn runs, DEBUG off) or dev (DEBUG on)",
    )
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
    path, _, query = path.partition("?")
    return wsgi_environ(
        method,
        path,
        host=f"{SLUG}.localhost",
        body=body,
        headers={"HTTP_ACCEPT": "application/json", "HTTP_AUTHORIZATION": f"Bearer {token}"},
        query=query,
    )


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
    if endpoint == "inbox list":
        return "GET", f"/api/v1/tickets/?status={STATUSES[n % len(STATUSES)]}", b""
    if endpoint == "search":
        term = SEARCH_TERMS[n % len(SEARCH_TERMS)].replace(" ", "+")
        return "GET", f"/api/v1/tickets/?search={term}", b""
    if endpoint == "ticket detail":
        return "GET", f"/api/v1/tickets/{ticket}/", b""
    if endpoint == "messages page":
        return "GET", f"/api/v1/tickets/{ticket}/messages/", b""
    return "POST", f"/api/v1/tickets/{ticket}/notes/", json.dumps({"body": f"note {n}"}).encode()


def _measure(
    handler: Any,
    endpoint: str,
    token: str,
    tickets: list[str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One round of ``args.requests`` requests to ``endpoint``: CPU and wall ms, statements."""
    cpu: list[float] = []
    wall: list[float] = []
    queries: list[int] = []
    profiler = None
    if args.profile == endpoint:
        profiler = cProfile.Profile(time.process_time) if args.cpu_timer else cProfile.Profile()
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
    if args.show_queries:
        print(f"\nSQL of the last request ({endpoint}):")
        for sql in last:
            print(f"  {sql[:300]}")
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(f"\ncProfile ({endpoint}):\n{out.getvalue()}")
    return {"cpu": cpu, "wall": wall, "queries": queries}


def run(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections

    connections["default"].settings_dict["CONN_MAX_AGE"] = 60
    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("django.request").setLevel(logging.ERROR)
    handler = WSGIHandler()
    token, tickets = _agent_and_tickets(args.agent)
    endpoints = tuple(args.only or ENDPOINTS)
    for endpoint in endpoints:
        for n in range(30):  # warm-up: caches, connections, lazy imports
            method, path, body = _request(endpoint, tickets[n % len(tickets)], n)
            status = _call(handler, method, path, token, body)
            if status >= 300:
                log(f"{endpoint}: {status}")
                return 1
    rounds: dict[str, list[dict[str, Any]]] = {endpoint: [] for endpoint in endpoints}
    for number in range(args.rounds):
        for endpoint in endpoints:
            rounds[endpoint].append(_measure(handler, endpoint, token, tickets, args))
        if args.rounds > 1:
            log(f"round {number + 1} of {args.rounds} done")
    rows = []
    p50s: dict[str, list[float]] = {}
    for endpoint in endpoints:
        measured = rounds[endpoint]
        p50s[endpoint] = [statistics.median(one["cpu"]) for one in measured]
        cpu = [ms for one in measured for ms in one["cpu"]]
        wall = [ms for one in measured for ms in one["wall"]]
        queries = [count for one in measured for count in one["queries"]]
        rows.append(
            [
                endpoint,
                f"{statistics.fmean(cpu):.2f}",
                f"{min(p50s[endpoint]):.2f}",
                f"{statistics.median(p50s[endpoint]):.2f}",
                f"{percentile(wall, 50):.2f}",
                f"{percentile(wall, 99):.2f}",
                f"{statistics.median(queries):g}",
            ]
        )
    if set(endpoints) == set(ENDPOINTS):
        total = sum(WEIGHTS.values())
        rows.append(
            [
                "B2 mix, weighted",
                "",
                f"{sum(WEIGHTS[e] * min(p50s[e]) for e in endpoints) / total:.2f}",
                f"{sum(WEIGHTS[e] * statistics.median(p50s[e]) for e in endpoints) / total:.2f}",
                "",
                "",
                "",
            ]
        )
    print(
        f"\n{args.requests} requests per endpoint and round, {args.rounds} round(s), "
        f"as {args.agent}, in this process"
    )
    print(
        table(
            rows,
            header=[
                "endpoint",
                "CPU ms mean",
                "CPU p50 min",
                "CPU p50 median",
                "wall p50",
                "wall p99",
                "queries",
            ],
        )
    )
    return 0


def main() -> int:
    args = parse_args()
    from bench.harness import django_setup

    if args.settings == "prod":
        # What the production settings require, as bench/processes.py gives the app processes.
        os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
        os.environ.setdefault("CREDENTIALS_ENCRYPTION_KEY", Fernet.generate_key().decode())
        os.environ.setdefault("TIKTICKETS_BASE_DOMAIN", "localhost")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
    django_setup(
        check_database_name(args.database),
        redis_url=args.redis_url,
        settings=f"tiktickets.settings.{args.settings}",
    )
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
