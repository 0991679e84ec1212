"""B2: the agent REST API under concurrency, over real HTTP.

Against the seeded inbox tenant (100k tickets / 1M messages, ``bench/inbox.py``), through the
production process topology (``bench/processes.py``: gunicorn with ``deploy/gunicorn.conf.py``,
daphne and a Celery worker, production settings), driven by locust (``bench/locustfile_api.py``)
on the same machine:

1. **Queries per request**, in this process: one request per endpoint through Django's test
   client with the same JWT under ``CaptureQueriesContext``; the inbox list also at page sizes
   10 and 100 (the count must not depend on it).
2. **Mix at 50 agents** with 1-5 s think time (inbox list, ticket detail, messages page, send a
   note, search): p50 / p99 per endpoint and errors.
3. **Saturation**: the same mix without think time at 8, 16 and 32 users; the best total req/s
   and each endpoint's req/s in that step.

Tokens are minted in this process with the project's tenant-bound token function and the
signing key handed to the app processes, so no password hashing runs during the load.

Runs inside ``make bench`` (``bench/run_all.py --only B2`` runs it with the seeding it needs).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from bench.harness import BenchContext, Figure, log
from bench.inbox import SLUG, harness_setup

NAME = "B2"
ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = {
    "inbox list": "inbox_list",
    "ticket detail": "ticket_detail",
    "messages page": "messages_page",
    "send note": "send_note",
    "search": "search",
}
MIX_USERS = 50
SATURATION_STEPS = (8, 16, 32)
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


def run(ctx: BenchContext) -> list[Figure]:
    from bench.load import run_locust
    from bench.processes import AppProcesses

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

    seconds_mix = max(20, int(30 * ctx.scale))
    seconds_step = max(8, int(10 * ctx.scale))
    locustfile = ROOT / "bench" / "locustfile_api.py"
    with AppProcesses(
        database=ctx.database("inbox"),
        redis_url=ctx.redis_url,
        work_dir=work,
        env={"JWT_SIGNING_KEY": signing_key},
    ) as app:
        log(NAME, f"processes up in {app.startup_s:.1f} s at {app.http_url}")
        log(NAME, f"mix: {MIX_USERS} agents, 1-5 s think time, {seconds_mix} s")
        mix = run_locust(
            locustfile=locustfile,
            host=app.http_url,
            users=MIX_USERS,
            seconds=seconds_mix,
            csv_prefix=work / "mix",
            env={"BENCH_LOCUST_DATA": str(data_path), "BENCH_LOCUST_THINK": "1"},
        )
        steps = []
        for users in SATURATION_STEPS:
            if ctx.remaining() < seconds_step + 30:
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
            )
            steps.append((users, stats))
            log(NAME, f"  {stats['Aggregated'].rps:.0f} req/s, p99 {stats['Aggregated'].p99_ms} ms")

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
