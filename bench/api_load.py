"""B2: the agent REST API under concurrency, over real HTTP.

Against the seeded inbox tenant (100k tickets / 1M messages, ``bench/inbox.py``), through the
production process topology (``bench/processes.py``: gunicorn with ``deploy/gunicorn.conf.py``,
daphne and a Celery worker, production settings), driven by locust (``bench/locustfile_api.py``)
on the same machine:

1. **Queries per request**, in this process: one request per endpoint through Django's test
   client with the same JWT under ``CaptureQueriesContext``; the inbox list also at page sizes
   10 and 100 (the count must not depend on it).
2. **Mix at 50 agents** with 1-5 s think time (inbox list, ticket detail, messages page, send a
   note, search): p50 / p99 per endpoint and errors. Agents arrive at 10 a second, as a shift
   starts, and the figures cover the time after the last one arrived (locust's statistics are
   reset then). The arrivals used to be one burst of 50 measured from the first millisecond.
3. **Saturation**: the same mix without think time at 8, 16 and 32 users; the best total req/s
   and each endpoint's req/s in that step (each step's first second, connections opening, is
   not measured).

Tokens are minted in this process with the project's tenant-bound token function and the
signing key handed to the app processes, so no password hashing runs during the load.

Runs inside ``make bench`` (``bench/run_all.py --only B2`` runs it with the seeding it needs).
Alone, on a database seeded by ``bench/inbox.py --keep`` (``--spawn-rate 50 --warmup 0`` is the
old burst)::

    .venv/bin/python bench/api_load.py --database tiktickets_bench_inbox --redis-url URL \
        [--steps 8,16,32] [--spawn-rate 10] [--warmup 6] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.harness import BenchContext, Figure, log  # noqa: E402
from bench.inbox import SLUG, harness_setup  # noqa: E402
from bench.load import EndpointStats  # noqa: E402

NAME = "B2"
ENDPOINTS = {
    "inbox list": "inbox_list",
    "ticket detail": "ticket_detail",
    "messages page": "messages_page",
    "send note": "send_note",
    "search": "search",
}
MIX_USERS = 50
# Agents arrive over a few seconds (a shift starting), not in the same millisecond, and the mix is
# measured once they are all working: 10 agents/s, locust's statistics reset when the last one
# arrived (5 s), the run 6 s longer than the measured 30 s. (At 25 agents/s the client-side p99
# was 1.9 s where the server never took more than 252 ms: the arrivals queue behind 4 workers.)
MIX_SPAWN_RATE = 10.0
MIX_WARMUP_S = 6
SATURATION_STEPS = (8, 16, 32)
# Each saturation step's users start at once; its first second (connections opening) is not
# measured.
STEP_WARMUP_S = 1
# What a step must leave of the module's cap: locust's start and stop, the app processes' shutdown.
STEP_MARGIN_S = 25
# The API goals, in ms: inbox list p50 and every listed endpoint's p99.
GOALS_P50 = {"inbox list": 50.0}
GOALS_P99 = {
    "inbox list": 200.0,
    "ticket detail": 200.0,
    "messages page": 200.0,
    "send note": 150.0,
}
GOAL_QUERIES = 6
GOALS_SATURATION = {"inbox list": 250.0, "send note": 100.0}


def _agents_data(agent_count: int) -> dict[str, Any]:
    """Tokens and visible tickets of the seeded agents (in the tenant's schema)."""
    from accounts.models import User
    from accounts.tokens import issue_token_pair
    from tenants.models import Tenant
    from tenants.tenancy import public_scope, tenant_scope
    from tickets.selectors import tickets_visible_to

    with public_scope():
        tenant = Tenant.objects.get(schema_name=SLUG)
    agents = []
    with tenant_scope(tenant):
        users = list(User.objects.filter(email__startswith="agente").order_by("pk")[:agent_count])
        for i, user in enumerate(users):
            tickets = list(
                tickets_visible_to(user)
                .exclude(status="closed")
                .order_by("-last_message_at")
                .values_list("public_id", flat=True)[:20]
            )
            agents.append(
                {
                    "email": user.email,
                    "access": issue_token_pair(user)["access"],
                    "tickets": [str(t) for t in tickets],
                    "seed": i,
                }
            )
    return {"host": f"{SLUG}.localhost", "agents": [a for a in agents if a["tickets"]]}


def _queries_per_request(data: dict[str, Any]) -> dict[str, int]:
    """SQL statements of one request per endpoint, in this process, with a JWT."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    agent = data["agents"][0]
    ticket = agent["tickets"][0]
    client = Client(HTTP_HOST=data["host"], HTTP_AUTHORIZATION=f"Bearer {agent['access']}")
    requests = {
        "inbox list": ("get", "/api/v1/tickets/?status=open", None),
        "inbox list, page_size=10": ("get", "/api/v1/tickets/?status=open&page_size=10", None),
        "inbox list, page_size=100": ("get", "/api/v1/tickets/?status=open&page_size=100", None),
        "ticket detail": ("get", f"/api/v1/tickets/{ticket}/", None),
        "messages page": ("get", f"/api/v1/tickets/{ticket}/messages/", None),
        "send note": ("post", f"/api/v1/tickets/{ticket}/notes/", {"body": "queries probe"}),
        "search": ("get", "/api/v1/tickets/?search=estorno", None),
    }
    counts: dict[str, int] = {}
    for label, (method, path, body) in requests.items():
        kwargs: dict[str, Any] = {"content_type": "application/json"} if body else {}
        getattr(client, method)(path, json.dumps(body) if body else None, **kwargs)  # warm
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(path, json.dumps(body) if body else None, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{label}: HTTP {response.status_code} {response.content[:300]!r}")
        counts[label] = len(captured)
    return counts


def _load(
    *,
    database: str,
    redis_url: str,
    work: Path,
    data_path: Path,
    signing_key: str,
    seconds_mix: int,
    seconds_step: int,
    steps: tuple[int, ...],
    remaining: Callable[[], float],
    spawn_rate: float = MIX_SPAWN_RATE,
    warmup_s: int = MIX_WARMUP_S,
) -> tuple[dict[str, EndpointStats], list[tuple[int, dict[str, EndpointStats]]]]:
    """The mix at ``MIX_USERS`` agents, then the saturation steps, through the app processes."""
    from bench.load import run_locust
    from bench.processes import AppProcesses

    locustfile = ROOT / "bench" / "locustfile_api.py"
    with AppProcesses(
        database=database,
        redis_url=redis_url,
        work_dir=work,
        env={"JWT_SIGNING_KEY": signing_key},
    ) as app:
        log(NAME, f"processes up in {app.startup_s:.1f} s at {app.http_url}")
        log(
            NAME,
            f"mix: {MIX_USERS} agents arriving at {spawn_rate:g}/s, 1-5 s think time, "
            f"{seconds_mix} s measured after a {warmup_s} s warm-up",
        )
        mix = run_locust(
            locustfile=locustfile,
            host=app.http_url,
            users=MIX_USERS,
            seconds=seconds_mix,
            csv_prefix=work / "mix",
            env={"BENCH_LOCUST_DATA": str(data_path), "BENCH_LOCUST_THINK": "1"},
            spawn_rate=spawn_rate,
            warmup_seconds=warmup_s,
        )
        log(NAME, f"  p50 {mix['Aggregated'].p50_ms:g} ms, p99 {mix['Aggregated'].p99_ms:g} ms")
        done = []
        for users in steps:
            if remaining() < seconds_step + STEP_WARMUP_S + STEP_MARGIN_S:
                log(NAME, f"budget: skipping the {users}-user saturation step")
                break
            log(NAME, f"saturation: {users} users, no think time, {seconds_step} s")
            stats = run_locust(
                locustfile=locustfile,
                host=app.http_url,
                users=users,
                seconds=seconds_step,
                csv_prefix=work / f"sat-{users}",
                env={"BENCH_LOCUST_DATA": str(data_path), "BENCH_LOCUST_THINK": "0"},
                warmup_seconds=STEP_WARMUP_S if warmup_s else 0,
            )
            done.append((users, stats))
            log(NAME, f"  {stats['Aggregated'].rps:.0f} req/s, p99 {stats['Aggregated'].p99_ms} ms")
    return mix, done


def run(ctx: BenchContext) -> list[Figure]:
    signing_key = secrets.token_urlsafe(48)
    os.environ["JWT_SIGNING_KEY"] = signing_key  # read by the settings at set-up
    harness_setup(ctx)
    work = Path(ctx.work_dir) / "b2"
    work.mkdir(parents=True, exist_ok=True)
    data = _agents_data(MIX_USERS)
    data_path = work / "locust-data.json"
    data_path.write_text(json.dumps(data), encoding="utf-8")
    log(NAME, f"{len(data['agents'])} agents with tokens; counting queries per request")
    queries = _queries_per_request(data)
    ctx.details["queries_per_request"] = queries

    mix, steps = _load(
        database=ctx.database("inbox"),
        redis_url=ctx.redis_url,
        work=work,
        data_path=data_path,
        signing_key=signing_key,
        seconds_mix=max(20, int(30 * ctx.scale)),
        seconds_step=max(8, int(10 * ctx.scale)),
        steps=SATURATION_STEPS,
        remaining=ctx.remaining,
    )
    ctx.details["mix"] = {k: v.__dict__ for k, v in mix.items()}
    ctx.details["saturation"] = {
        str(users): {k: v.__dict__ for k, v in stats.items()} for users, stats in steps
    }
    figures: list[Figure] = []
    for label, slug in ENDPOINTS.items():
        got = mix.get(label)
        if got is None:
            continue
        note = f"{got.requests} requests, {got.failures} failed, at {MIX_USERS} agents"
        if label in GOALS_P50:
            figures.append(
                ctx.figure(
                    id=f"B2.{slug}.p50",
                    name=f"API {label} p50, {MIX_USERS} agents (B2 mix)",
                    value=got.p50_ms,
                    unit="ms",
                    goal=("<=", GOALS_P50[label]),
                    limit="L.http_p50_ms",
                    note=note,
                )
            )
        figures.append(
            ctx.figure(
                id=f"B2.{slug}.p99",
                name=f"API {label} p99, {MIX_USERS} agents (B2 mix)",
                value=got.p99_ms,
                unit="ms",
                goal=("<=", GOALS_P99[label]) if label in GOALS_P99 else None,
                limit="L.http_p99_ms",
                note=f"p50 {got.p50_ms:g} ms; {note}",
            )
        )
    total = mix["Aggregated"]
    figures.append(
        ctx.figure(
            id="B2.errors",
            name="API errors during the B2 mix",
            value=float(total.failures),
            unit="requests",
            goal=("==", 0),
            note=f"of {total.requests}",
        )
    )
    figures.append(
        ctx.figure(
            id="P4.p99_ms_50_agents",
            name=f"P4 API p99 under {MIX_USERS} agents (the whole B2 mix)",
            value=total.p99_ms,
            unit="ms",
            goal=("<=", 200),
            limit="L.http_p99_ms",
            note=f"p50 {total.p50_ms:g} ms; {total.requests} requests, {total.failures} failed",
        )
    )
    best_users, best = max(steps, key=lambda s: s[1]["Aggregated"].rps) if steps else (0, {})
    figures.append(
        ctx.figure(
            id="P4.saturation_rps",
            name="P4 API req/s at saturation (B2 mix, no think time)",
            value=best["Aggregated"].rps if best else None,
            unit="req/s",
            goal=(">=", 300),
            limit="L.http_rps",
            note=f"at {best_users} users" if best else "no saturation step fitted the budget",
        )
    )
    if steps:
        figures.append(
            ctx.figure(
                id="B2.saturation_rps",
                name="API req/s at saturation (B2 mix, no think time)",
                value=best["Aggregated"].rps,
                unit="req/s",
                limit="L.http_rps",
                note=f"at {best_users} users; steps "
                + ", ".join(f"{u}: {s['Aggregated'].rps:.0f}" for u, s in steps)
                + f"; p99 {best['Aggregated'].p99_ms:g} ms; "
                f"{best['Aggregated'].failures} failed",
            )
        )
        for label, goal in GOALS_SATURATION.items():
            got = best.get(label)
            if got is None:
                continue
            share = got.requests / max(best["Aggregated"].requests, 1)
            figures.append(
                ctx.figure(
                    id=f"B2.{ENDPOINTS[label]}.saturation_rps",
                    name=f"API {label} req/s at saturation (its share of the mix)",
                    value=got.rps,
                    unit="req/s",
                    goal=(">=", goal),
                    limit="L.http_rps" if label != "send note" else "L.pg_insert_tps_c1",
                    note=f"{share:.0%} of the mix at {best_users} users; alone it would get "
                    f"about {got.rps / max(share, 1e-9):.0f} req/s if the mix's cost were even",
                )
            )
    for label in ("inbox list", "ticket detail", "messages page", "send note", "search"):
        figures.append(
            ctx.figure(
                id=f"B2.{ENDPOINTS[label]}.queries",
                name=f"SQL queries per request: {label}",
                value=float(queries[label]),
                unit="queries",
                goal=("<=", GOAL_QUERIES) if label == "inbox list" else None,
                note="JWT, in-process, CaptureQueriesContext",
            )
        )
    figures.append(
        ctx.figure(
            id="B2.inbox_list.queries_page_size_delta",
            name="Inbox list queries at page_size=100 minus page_size=10",
            value=float(queries["inbox list, page_size=100"] - queries["inbox list, page_size=10"]),
            unit="queries",
            goal=("==", 0),
        )
    )
    return figures


def _print_stats(title: str, stats: dict[str, EndpointStats]) -> None:
    print(f"\n{title}")
    print(
        f"{'endpoint':<16} {'requests':>8} {'failed':>6} {'req/s':>7} {'p50':>6} {'p95':>6} "
        f"{'p99':>6} {'max':>6}"
    )
    for name, got in stats.items():
        print(
            f"{name:<16} {got.requests:>8} {got.failures:>6} {got.rps:>7.1f} {got.p50_ms:>6g} "
            f"{got.p95_ms:>6g} {got.p99_ms:>6g} {got.max_ms:>6.0f}"
        )


def main() -> int:
    """B2 alone, against a database seeded by ``bench/inbox.py --keep`` (no re-seeding)."""
    parser = argparse.ArgumentParser(description="B2 alone on a kept, seeded inbox database.")
    parser.add_argument("--database", required=True, help="seeded by bench/inbox.py --keep")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--mix-seconds", type=int, default=30)
    parser.add_argument("--step-seconds", type=int, default=10)
    parser.add_argument("--steps", default="8,16,32", help="saturation users, comma-separated")
    parser.add_argument("--spawn-rate", type=float, default=MIX_SPAWN_RATE)
    parser.add_argument(
        "--warmup", type=int, default=MIX_WARMUP_S, help="seconds not measured (0: all of it)"
    )
    parser.add_argument("--work-dir", type=Path, help="keep logs and CSVs here")
    args = parser.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="tt-b2-"))
    database = args.database
    prefix, _, suffix = database.rpartition("_")
    ctx = BenchContext(
        run_id="b2",
        commit="",
        database_prefix=prefix,
        redis_url=args.redis_url,
        work_dir=str(work),
        deadline=time.time() + 3600,
    )
    if ctx.database(suffix) != database or suffix != "inbox":
        raise SystemExit("--database must end in _inbox (the harness names it so)")
    signing_key = secrets.token_urlsafe(48)
    os.environ["JWT_SIGNING_KEY"] = signing_key
    harness_setup(ctx)
    data = _agents_data(MIX_USERS)
    data_path = work / "locust-data.json"
    data_path.write_text(json.dumps(data), encoding="utf-8")
    print(f"load average before: {os.getloadavg()}", flush=True)
    mix, steps = _load(
        database=database,
        redis_url=args.redis_url,
        work=work,
        data_path=data_path,
        signing_key=signing_key,
        seconds_mix=args.mix_seconds,
        seconds_step=args.step_seconds,
        steps=tuple(int(u) for u in args.steps.split(",") if u.strip()),
        remaining=ctx.remaining,
        spawn_rate=args.spawn_rate,
        warmup_s=args.warmup,
    )
    print(f"load average after: {os.getloadavg()}; logs and CSVs in {work}")
    _print_stats(f"mix, {MIX_USERS} agents", mix)
    for users, stats in steps:
        _print_stats(f"saturation, {users} users", stats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
