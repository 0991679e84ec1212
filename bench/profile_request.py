"""Per-request overhead of the API: where the server time of one inbox list request goes.

Not a load test and not part of ``make bench``: one process, no HTTP server. It sends
``--requests`` requests of ``--path`` (default ``/api/v1/tickets/?status=open``) straight into
Django's WSGI handler (the production handler, the whole middleware stack) on a tenant seeded by
``bench/inbox.py --keep`` (its database, ``--database``), authenticated by a JWT as the seed's
admin and as one of its agents. It prints:

- the server time per request (p50 / p95 / p99 / mean, ms), the CPU time of this process per
  request (median: less sensitive to the machine's load than the wall time) and the SQL
  statements per request;
- each middleware's own cost (a probe is put before every middleware and after the last one: a
  layer's cost is the time between its probe and the next, on the way in and on the way out);
- the cost of the DRF steps inside the view (authentication, permissions, the query filters,
  the selector and pagination with their SQL, the rows, the rendering) and of the SQL itself;
- with ``--profile``, the top functions of a cProfile of the admin's requests.

    .venv/bin/python bench/inbox.py --contacts 2500 --messages-per-ticket 3 \\
        --database tiktickets_bench_reqfast --keep --requests 5        # seed 10,000 tickets once
    .venv/bin/python bench/profile_request.py --database tiktickets_bench_reqfast --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.common import check_database_name, percentile, table  # noqa: E402

SLUG = "benchinbox"

# Per-request accumulators, filled by the probes and the wrapped DRF steps.
_marks: list[tuple[str, float]] = []
# The probes' clock (bench/profile_webhook.py reads the CPU clock instead).
probe_clock: list[Callable[[], float]] = [time.perf_counter]
_steps: dict[str, float] = defaultdict(float)
_statements: list[tuple[float, str]] = []


def log(message: str) -> None:
    print(f"[profile_request] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="tiktickets_bench_inbox")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--path", default="/api/v1/tickets/?status=open")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per user")
    parser.add_argument("--profile", action="store_true", help="cProfile the admin's requests")
    parser.add_argument("--top", type=int, default=30, help="functions shown by --profile")
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="seconds a database connection is kept (production: 60; 0 reconnects per request)",
    )
    parser.add_argument("--show-queries", action="store_true", help="print one request's SQL")
    return parser.parse_args()


class Probe:
    """Marks the time the request passes it on the way in and the response on the way out."""

    label = ""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        _marks.append((f"in:{self.label}", probe_clock[0]()))
        response = self.get_response(request)
        _marks.append((f"out:{self.label}", probe_clock[0]()))
        return response


def _probe_class(index: int) -> str:
    """A probe class importable by dotted path, for ``settings.MIDDLEWARE``."""
    name = f"Probe{index}"
    globals()[name] = type(name, (Probe,), {"label": str(index)})
    return f"{__name__}.{name}"


def _probed_middleware(middleware: list[str]) -> list[str]:
    probed = []
    for index, path in enumerate(middleware):
        probed += [_probe_class(index), path]
    probed.append(_probe_class(len(middleware)))
    return probed


def _layer_costs(middleware: list[str]) -> dict[str, float]:
    """This request's own cost of each middleware (ms), and of everything inside the last."""
    at = dict(_marks)
    costs = {}
    for index, path in enumerate(middleware):
        inner = str(index + 1)
        if f"in:{inner}" not in at:  # answered by this middleware: no deeper probe ran
            costs[path] = (at[f"out:{index}"] - at[f"in:{index}"]) * 1000
            continue
        going_in = at[f"in:{inner}"] - at[f"in:{index}"]
        coming_out = at[f"out:{index}"] - at[f"out:{inner}"]
        costs[path] = (going_in + coming_out) * 1000
    last = str(len(middleware))
    if f"in:{last}" in at:
        costs["(URL resolution and the view)"] = (at[f"out:{last}"] - at[f"in:{last}"]) * 1000
    return costs


def _timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _steps[label] += (time.perf_counter() - started) * 1000

    wrapper.__wrapped__ = function
    return wrapper


def _wrap_drf_steps() -> list[str]:
    """Time the steps of DRF's dispatch and of the list view; returns their labels in order."""
    from rest_framework import views

    from core.pagination import KeysetPagination
    from tickets.api import ticket_views

    labels = []

    def wrap(owner: Any, attr: str, label: str) -> None:
        setattr(owner, attr, _timed(label, getattr(owner, attr)))
        labels.append(label)

    wrap(views.APIView, "initialize_request", "DRF: request wrapper")
    wrap(views.APIView, "perform_authentication", "DRF: authentication (JWT, user)")
    wrap(views.APIView, "check_permissions", "DRF: permissions")
    wrap(views.APIView, "perform_content_negotiation", "DRF: content negotiation")
    wrap(ticket_views.TicketListApi, "get", "view: get() (query, selector, SQL, rows)")
    wrap(KeysetPagination, "paginate_queryset", "  of which: pagination + SQL")
    wrap(views.APIView, "finalize_response", "DRF: finalize response")
    for name in ("ticket_row", "ticket_row_from_values", "ticket_rows"):
        if hasattr(ticket_views, name):
            wrap(ticket_views, name, f"  of which: rows ({name})")
    from rest_framework.response import Response

    original = Response.rendered_content

    def rendered(self: Any) -> Any:
        started = time.perf_counter()
        try:
            return original.fget(self)
        finally:
            _steps["render JSON"] += (time.perf_counter() - started) * 1000

    Response.rendered_content = property(rendered)  # type: ignore[assignment,method-assign]
    labels.append("render JSON")
    return labels


@contextmanager
def _sql_timer() -> Iterator[list[float]]:
    """Milliseconds of each SQL statement run inside the block."""
    from django.db import connection

    timings: list[float] = []
    _statements.clear()

    def execute(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append((time.perf_counter() - started) * 1000)
            _statements.append((timings[-1], sql))

    with connection.execute_wrapper(execute):
        yield timings


def _environ(path: str, token: str) -> dict[str, Any]:
    from django.test.client import FakePayload

    path_info, _sep, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": f"{SLUG}.localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": f"{SLUG}.localhost",
        "HTTP_ACCEPT": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": FakePayload(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _tokens() -> dict[str, str]:
    from accounts.models import User
    from accounts.tokens import issue_token_pair
    from tenants.models import Tenant
    from tenants.tenancy import public_scope, tenant_scope

    with public_scope():
        tenant = Tenant.objects.get(schema_name=SLUG)
    with tenant_scope(tenant):
        admin = User.objects.get(email="admin@example.com")
        agent = User.objects.get(email="agente0@example.com")
        return {
            "admin": issue_token_pair(admin)["access"],
            "agent": issue_token_pair(agent)["access"],
        }


def _call(handler: Any, environ: dict[str, Any]) -> tuple[int, bytes]:
    status: list[str] = []

    def start_response(line: str, headers: Any, exc_info: Any = None) -> None:
        status.append(line)

    body = b"".join(handler(dict(environ, **{"wsgi.input": io.BytesIO(b"")}), start_response))
    return int(status[0].split()[0]), body


def run(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections

    # The development settings reconnect on every request; production keeps connections.
    connections["default"].settings_dict["CONN_MAX_AGE"] = args.conn_max_age

    middleware = list(settings.MIDDLEWARE)
    settings.MIDDLEWARE = _probed_middleware(middleware)
    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("django.request").setLevel(logging.ERROR)
    drf_labels = _wrap_drf_steps()
    handler = WSGIHandler()
    tokens = _tokens()
    reports = []
    for who, token in tokens.items():
        environ = _environ(args.path, token)
        status, body = _call(handler, environ)
        if status != 200:
            log(f"{who}: {status} {body[:300]!r}")
            return 1
        for _ in range(20):  # warm-up: caches, connections, lazy imports
            _call(handler, environ)
        totals: list[float] = []
        cpu: list[float] = []
        layers: dict[str, list[float]] = defaultdict(list)
        steps: dict[str, list[float]] = defaultdict(list)
        sql_ms: list[float] = []
        queries: list[int] = []
        profiler = cProfile.Profile() if args.profile and who == "admin" else None
        for _ in range(args.requests):
            _marks.clear()
            _steps.clear()
            with _sql_timer() as statements:
                if profiler is not None:
                    profiler.enable()
                started, started_cpu = time.perf_counter(), time.process_time()
                _call(handler, environ)
                totals.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                if profiler is not None:
                    profiler.disable()
            for layer, cost in _layer_costs(middleware).items():
                layers[layer].append(cost)
            for label in drf_labels:
                steps[label].append(_steps.get(label, 0.0))
            sql_ms.append(sum(statements))
            queries.append(len(statements))
        if args.show_queries:
            print(f"\nSQL of the last request ({who}):")
            for ms, sql in _statements:
                print(f"  {ms:7.3f} ms  {sql[:400]}")
        reports.append((who, totals, cpu, layers, steps, sql_ms, queries, len(body), profiler))

    print(f"\n{args.path}, {args.requests} requests per user, server time in this process")
    print(
        table(
            [
                [
                    who,
                    f"{percentile(totals, 50):.2f}",
                    f"{percentile(totals, 95):.2f}",
                    f"{percentile(totals, 99):.2f}",
                    f"{statistics.fmean(totals):.2f}",
                    f"{statistics.median(cpu):.2f}",
                    f"{statistics.median(sql):.2f}",
                    str(max(queries)),
                    str(size),
                ]
                for who, totals, cpu, _l, _s, sql, queries, size, _p in reports
            ],
            header=[
                "user",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "mean ms",
                "CPU ms p50",
                "SQL ms p50",
                "queries",
                "bytes",
            ],
        )
    )
    for who, _totals, _cpu, layers, steps, sql_ms, _q, _size, profiler in reports:
        print(f"\nLayers ({who}): median ms of each layer's own cost")
        rows = [
            [layer.rsplit(".", 1)[-1], f"{statistics.median(costs):.3f}"]
            for layer, costs in layers.items()
        ]
        rows += [[label, f"{statistics.median(costs):.3f}"] for label, costs in steps.items()]
        rows.append(["SQL (all statements)", f"{statistics.median(sql_ms):.3f}"])
        print(table(rows, header=["layer", "ms"]))
        if profiler is not None:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
            stats.print_stats(args.top)
            print(f"\ncProfile ({who}), by own time:\n{out.getvalue()}")
    return 0


def main() -> int:
    args = parse_args()
    from bench.harness import django_setup

    django_setup(check_database_name(args.database), redis_url=args.redis_url)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
