"""CPU of one webhook acknowledgement in the web process, layer by layer (P2).

Not a load test and not part of ``make bench``: one process, no HTTP server, the production
settings. It posts ``--requests`` signed Telegram updates (each a new update id, one text
message, as ``bench/ingest.py`` sends them) to ``/webhooks/telegram/<token>/`` on the platform
host straight into Django's WSGI handler (the production handler and middleware), in
autocommit with a persistent database connection, like a gunicorn worker. It prints:

- per round, the process's CPU time per webhook (``time.process_time``: PostgreSQL's and Redis's
  own work is not in it), mean and median, and the statements per webhook; then the min and the
  median over the rounds;
- each middleware's own CPU cost (a probe before every middleware and after the last one; the
  probes run in separate rounds, so their own cost is not in the figures above);
- the steps inside the view: the route cache, verification, parsing, the ``INSERT``, the
  coalesced enqueue and the response;
- with ``--profile``, the top functions of a cProfile (CPU clock) of one round.

    .venv/bin/python bench/profile_webhook.py --database tt_bench_webhook \\
        --redis-url redis://127.0.0.1:6379/3 --rounds 5 --requests 300

It creates and drops its own database (``--database``, must contain "bench") and empties its
Redis database (``--redis-url``) before and after.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import secrets
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    check_database_name,
    drop_database,
    recreate_database,
    table,
    wsgi_environ,
)
from bench.profile_request import (  # noqa: E402
    _layer_costs,
    _marks,
    _probed_middleware,
    probe_clock,
)

SECRET = "bench-secret"

_steps: dict[str, float] = defaultdict(float)


def log(message: str) -> None:
    print(f"[profile_webhook] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="tiktickets_bench_webhook")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (without probes)")
    parser.add_argument("--requests", type=int, default=300, help="webhooks per round")
    parser.add_argument("--profile", action="store_true", help="cProfile one more round")
    parser.add_argument("--top", type=int, default=35, help="functions shown by --profile")
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative")
    return parser.parse_args()


def _timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            _steps[label] += (time.process_time() - started) * 1000

    return wrapper


def _wrap_steps() -> list[str]:
    """Time the steps of the acknowledgement inside the view (CPU ms); their labels in order."""
    from channels_integrations import views
    from channels_integrations.services import inbound, inbound_batches

    labels = []

    def wrap(owner: Any, attr: str, label: str) -> None:
        setattr(owner, attr, _timed(label, getattr(owner, attr)))
        labels.append(label)

    wrap(views, "body_within", "view: body size check")
    wrap(inbound, "webhook_route", "route cache (generations MGET, instances)")
    wrap(inbound, "_verify", "provider: verify (credentials, secret)")
    wrap(inbound, "_parse", "provider: parse")
    wrap(inbound, "_events_store", "INSERT (item to JSON, SQL)")
    wrap(inbound_batches, "inbound_batch_enqueue", "enqueue (flag, publish)")
    wrap(views, "JsonResponse", "response body")
    return labels


class Poster:
    """Signed Telegram updates to one connection's URL, each with a new update id."""

    def __init__(self, token: str) -> None:
        self.path = f"/webhooks/telegram/{token}/"
        self.update_id = 1000

    def post(self, handler: Any) -> tuple[int, bytes]:
        from simulator.webhooks import telegram_text_update

        self.update_id += 1
        body = telegram_text_update(
            update_id=self.update_id,
            chat_id=900000 + self.update_id % 400,
            text=f"Olá, mensagem {self.update_id}",
        )
        status: list[str] = []

        def start_response(line: str, headers: Any, exc_info: Any = None) -> None:
            status.append(line)

        environ = wsgi_environ(
            "POST",
            self.path,
            host="localhost",
            body=body,
            headers={"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": SECRET, "HTTP_CONNECTION": "close"},
        )
        response = handler(environ, start_response)
        content = b"".join(response)
        response.close()  # as gunicorn does: request_finished, the connection kept
        return int(status[0].split()[0]), content


def seed() -> str:
    """A tenant with a Telegram connection routed to it; the connection's webhook token."""
    from bench.seeding import tenant_with_agents
    from connections.models import ChannelConnection
    from tenants.channel_routes import channel_routes_set
    from tenants.services import tenant_public_ensure
    from tenants.tenancy import tenant_scope
    from tickets.models import ConnectionRouting

    tenant_public_ensure()
    tenant, queue, _agents = tenant_with_agents(
        name="Bench webhook", slug="benchwebhook", email_domain="webhook.example", agents=2
    )
    with tenant_scope(tenant):
        telegram = ChannelConnection(
            provider="telegram",
            name="Telegram",
            status="connected",
            webhook_token=secrets.token_urlsafe(24),
        )
        telegram.credentials = {"bot_token": "7000001:BENCH", "webhook_secret": SECRET}
        telegram.save()
        ConnectionRouting.objects.create(connection=telegram, default_queue=queue)
        channel_routes_set(
            provider="telegram",
            connection_public_id=telegram.public_id,
            keys=[telegram.webhook_token],
        )
    return telegram.webhook_token


def _round(handler: Any, poster: Poster, count: int, profiler: Any = None) -> dict[str, Any]:
    from django.db import connection

    cpu: list[float] = []
    statements: list[int] = []

    def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[-1] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        started_round = time.process_time()
        for _ in range(count):
            statements.append(0)
            started = time.process_time()
            if profiler is not None:
                profiler.enable()
            status, body = poster.post(handler)
            if profiler is not None:
                profiler.disable()
            cpu.append((time.process_time() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"webhook answered {status}: {body[:300]!r}")
        total = (time.process_time() - started_round) * 1000
    return {
        "mean": total / count,
        "median": statistics.median(cpu),
        "statements": statistics.mean(statements),
    }


def _handler_class() -> tuple[Any, str]:
    """The production WSGI application's class, and the setting naming the webhooks' layers
    (``MIDDLEWARE`` where webhooks go through the whole stack)."""
    try:
        from core.wsgi import WebhookAwareWSGIHandler
    except ImportError:  # a version of the code with one stack for every path
        from django.core.handlers.wsgi import WSGIHandler

        return WSGIHandler, "MIDDLEWARE"
    return WebhookAwareWSGIHandler, "WEBHOOK_MIDDLEWARE"


def run(args: argparse.Namespace) -> int:
    from django.conf import settings

    logging.getLogger("django.request").setLevel(logging.ERROR)
    token = seed()
    poster = Poster(token)
    handler_class, layers_setting = _handler_class()
    middleware = list(getattr(settings, layers_setting))
    handler = handler_class()
    for _ in range(30):  # warm-up: imports, caches, connections
        status, body = poster.post(handler)
        if status != 200:
            log(f"{status} {body[:300]!r}")
            return 1
    rounds = [_round(handler, poster, args.requests) for _ in range(args.rounds)]

    print(f"\n{args.requests} signed Telegram webhooks per round, CPU ms per webhook")
    print(
        f"{handler_class.__module__}.{handler_class.__name__}, {len(middleware)} middleware layers"
    )
    rows = [
        [str(n + 1), f"{r['mean']:.3f}", f"{r['median']:.3f}", f"{r['statements']:.2f}"]
        for n, r in enumerate(rounds)
    ]
    means = [r["mean"] for r in rounds]
    medians = [r["median"] for r in rounds]
    rows.append(["min", f"{min(means):.3f}", f"{min(medians):.3f}", ""])
    rows.append(
        ["median", f"{statistics.median(means):.3f}", f"{statistics.median(medians):.3f}", ""]
    )
    print(table(rows, header=["round", "CPU ms mean", "CPU ms median", "statements"]))

    probe_clock[0] = time.process_time
    setattr(settings, layers_setting, _probed_middleware(middleware))
    probed = handler_class()
    step_labels = _wrap_steps()
    layers: dict[str, list[float]] = defaultdict(list)
    steps: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.requests):
        _marks.clear()
        _steps.clear()
        poster.post(probed)
        for layer, cost in _layer_costs(middleware).items():
            layers[layer].append(cost)
        for label in step_labels:
            steps[label].append(_steps.get(label, 0.0))
    print("\nLayers: mean CPU ms of each layer's own cost (probed round)")
    layer_rows = [
        [layer.rsplit(".", 1)[-1], f"{statistics.fmean(costs):.3f}"]
        for layer, costs in layers.items()
    ]
    layer_rows += [
        [f"  {label}", f"{statistics.fmean(costs):.3f}"] for label, costs in steps.items()
    ]
    print(table(layer_rows, header=["layer", "CPU ms"]))

    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        _round(handler, poster, args.requests, profiler)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(f"\ncProfile of {args.requests} webhooks (CPU clock):\n{out.getvalue()}")
    return 0


def main() -> int:
    args = parse_args()
    from cryptography.fernet import Fernet

    database = check_database_name(args.database)
    os.environ.update(
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "CREDENTIALS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "TIKTICKETS_BASE_DOMAIN": "localhost",
            "CELERY_BROKER_URL": args.redis_url,
            "CELERY_RESULT_BACKEND": args.redis_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    log(f"recreating database {database}")
    recreate_database(database)
    from bench.harness import django_setup

    django_setup(database, redis_url=args.redis_url, settings="tiktickets.settings.prod")
    import redis
    from django.core.management import call_command
    from django.db import connections

    try:
        redis.Redis.from_url(args.redis_url).flushdb()
        call_command("migrate_schemas", "--shared", verbosity=0)
        return run(args)
    finally:
        connections.close_all()
        drop_database(database)
        redis.Redis.from_url(args.redis_url).flushdb()


if __name__ == "__main__":
    sys.exit(main())
