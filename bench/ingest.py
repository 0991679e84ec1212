"""B1 and B7: webhooks in, replies out, through production-like processes.

One tenant with a WhatsApp Cloud and a Telegram connection whose APIs are the provider simulator
(the ``simulator`` package), a queue of 20 agents with open websockets, and the docker-compose
process topology on loopback (gunicorn, daphne, one Celery worker; bench/processes.py).

- **Inbound (B1)**: signed WhatsApp webhooks posted to ``/webhooks/meta/`` at fixed rates (each
  step ~8 s); prints acknowledgements per second and their p50/p99, and the end-to-end latency
  from the POST to each agent's ``message.created`` on the websocket; then reconciles: messages
  stored == distinct webhooks, none lost, none doubled.
- **Outbound (B7)**: agent replies created through the service at 20/s on the Telegram
  connection, sent by the worker to the simulator (50 ms per call, 1% answered 500); prints
  reply -> provider p50/p99, sends per second, retries and duplicates; then a burst of replies
  checks the per-connection rate limit (Telegram: 30/s) in every 1-second window the simulator
  saw.

    .venv/bin/python bench/ingest.py               # 20, 50, 100 and 150/s; ~5 minutes
    .venv/bin/python bench/ingest.py --rates 20 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.common import table  # noqa: E402
from bench.harness import BenchContext, Figure, bench_database  # noqa: E402
from bench.topology import (  # noqa: E402
    app_keys,
    app_processes,
    dash,
    latencies,
    module_logger,
    reconciliation,
    simulator_running,
    standalone_main,
    wait_until,
)
from simulator import (  # noqa: E402
    Delivery,
    Faults,
    Simulator,
    post_at_rate,
    whatsapp_delivery,
)

SLUG = "benchingest"
PHONE = "5550000001"
APP_SECRET = "bench-app-secret"
BOT_TOKEN = "7000001:BENCH"
AGENTS = 20
SENDERS = 400  # distinct customers the webhooks come from (new contacts and tickets at first)
TELEGRAM_LIMIT = 30  # the adapter's per-connection rate (telegram/provider.py)

log = module_logger("ingest")


def seed() -> dict[str, Any]:
    """Tenant, 20 agents in a queue, WhatsApp and Telegram connections routed to it."""
    from accounts.models import User
    from accounts.tokens import issue_token_pair
    from bench.seeding import tenant_with_agents
    from connections.models import ChannelConnection
    from contacts.models import ContactIdentity
    from contacts.services import contact_upsert_from_identity
    from tenants.channel_routes import channel_routes_set
    from tenants.services import tenant_public_ensure
    from tenants.tenancy import tenant_scope
    from tickets.models import ConnectionRouting, Ticket
    from tickets.protocols import protocol_next

    tenant_public_ensure()
    tenant, queue, agents = tenant_with_agents(
        name="Bench ingest", slug=SLUG, email_domain="ingest.example", agents=AGENTS
    )
    with tenant_scope(tenant):
        whatsapp = ChannelConnection(provider="whatsapp_cloud", name="WhatsApp", status="connected")
        whatsapp.credentials = {
            "phone_number_id": PHONE,
            "access_token": "bench",
            "app_secret": APP_SECRET,
        }
        whatsapp.save()
        ConnectionRouting.objects.create(connection=whatsapp, default_queue=queue)
        telegram = ChannelConnection(
            provider="telegram",
            name="Telegram",
            status="connected",
            webhook_token=secrets.token_urlsafe(24),
        )
        telegram.credentials = {"bot_token": BOT_TOKEN, "webhook_secret": "bench-secret"}
        telegram.save()
        ConnectionRouting.objects.create(connection=telegram, default_queue=queue)
        channel_routes_set(
            provider="whatsapp_cloud", connection_public_id=whatsapp.public_id, keys=[PHONE]
        )
        channel_routes_set(
            provider="telegram",
            connection_public_id=telegram.public_id,
            keys=[telegram.webhook_token],
        )
        contact, _ = contact_upsert_from_identity(
            provider="telegram", external_id="900001", name="Cliente Telegram"
        )
        ContactIdentity.objects.get_or_create(
            contact=contact, provider="telegram", external_id="900001"
        )
        author = User.objects.get(email="admin@ingest.example")
        reply_ticket = Ticket.objects.create(
            protocol=protocol_next(),
            contact=contact,
            connection=telegram,
            queue=queue,
            status=Ticket.Status.OPEN,
            assignee=author,
        )
        tokens = [issue_token_pair(user)["access"] for user in agents]
    return {
        "tenant": tenant,
        "tokens": tokens,
        "reply_ticket": reply_ticket,
        "author": author,
        "whatsapp": whatsapp,
    }


# ------------------------------------------------------------------ inbound (B1)


async def agent_socket(
    url: str,
    token: str,
    ready: asyncio.Event,
    stop: asyncio.Event,
    sink: list[float],
    frames: list[tuple[int, float, str]] | None = None,
) -> None:
    import websockets

    port = int(url.rsplit(":", 1)[1].split("/")[0])
    async with websockets.connect(
        url.replace("127.0.0.1", f"{SLUG}.localhost"),
        host="127.0.0.1",
        port=port,
        additional_headers={"Authorization": f"Bearer {token}"},
        max_size=2**22,
        open_timeout=60,
        ping_interval=None,
    ) as ws:
        await ws.recv()  # hello
        ready.set()
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            received = time.time()
            event = json.loads(frame)
            if event["type"] != "message.created":
                continue
            body = str(event["data"].get("message", {}).get("body") or "")
            if body.startswith("b1 "):
                sink.append((received - float(body.split()[-1])) * 1000)
                if frames is not None:  # --stages: which webhook, when, the envelope's time
                    frames.append((int(body.split()[1]), received, str(event["ts"])))


async def post_webhooks(
    base: str, rate: float, seconds: float, offset: int, tag: str = "b1"
) -> list[float]:
    """Signed WhatsApp webhooks at ``rate`` per second; the acknowledgement times in ms."""

    def make(n: int) -> Delivery:
        return whatsapp_delivery(
            app_secret=APP_SECRET,
            phone_number_id=PHONE,
            sender=f"55119{(offset + n) % SENDERS:08d}",
            message_id=f"wamid.BENCH.{offset + n}",
            text=f"{tag} {offset + n} {time.time():.6f}",
        )

    result = await post_at_rate(
        base,
        make,
        int(rate * seconds),
        rate,
        headers={"Host": "localhost", "X-Forwarded-Proto": "https"},
    )
    if result.refused:
        log(f"webhooks not answered 200 (status: count): {dict(result.refused)}")
    return result.acks_ms


async def inbound(
    app: Any,
    seeded: dict[str, Any],
    rates: list[float],
    seconds: float,
    frames: list[tuple[int, float, str]] | None = None,
) -> Any:
    stop = asyncio.Event()
    sinks: list[list[float]] = [[] for _ in seeded["tokens"]]
    readies = [asyncio.Event() for _ in seeded["tokens"]]
    sockets = [
        asyncio.create_task(agent_socket(f"{app.ws_url}/ws/", token, ready, stop, sink, frames))
        for token, ready, sink in zip(seeded["tokens"], readies, sinks, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=60)
    await post_webhooks(app.http_url, 5, 2, 10_000_000, tag="warm")  # warm the processes
    steps = []
    offset = 0
    for rate in rates:
        for sink in sinks:
            sink.clear()
        log(f"inbound: {rate:g} webhooks/s for {seconds:g} s")
        started = time.perf_counter()
        acks = await post_webhooks(app.http_url, rate, seconds, offset)
        elapsed = time.perf_counter() - started
        posted = int(rate * seconds)
        offset += posted
        deadline = time.time() + 30
        while sum(len(s) for s in sinks) < posted * len(sinks) and time.time() < deadline:
            await asyncio.sleep(0.2)
        e2e = sorted(v for sink in sinks for v in sink)
        ack = latencies(acks)
        end_to_end = latencies(e2e)
        steps.append(
            {
                "rate": rate,
                "first": offset - posted,
                "posted": posted,
                "acked": len(acks),
                "acks_per_s": len(acks) / elapsed,
                "ack_p50_ms": ack["p50_ms"],
                "ack_p99_ms": ack["p99_ms"],
                "e2e_p50_ms": end_to_end["p50_ms"],
                "e2e_p99_ms": end_to_end["p99_ms"],
                "socket_events": len(e2e),
                "socket_expected": posted * len(sinks),
            }
        )
    stop.set()
    await asyncio.gather(*sockets, return_exceptions=True)
    return steps, offset


STAGES = (
    ("posted -> stored", "posted", "stored"),
    ("stored -> message inserted", "stored", "inserted"),
    ("message inserted -> batch end", "inserted", "batch_end"),
    ("batch end -> envelope", "batch_end", "envelope"),
    ("envelope -> socket", "envelope", "socket"),
    ("posted -> socket", "posted", "socket"),
)


def stage_split(
    tenant: Any, steps: list[dict[str, Any]], frames: list[tuple[int, float, str]]
) -> list[dict[str, Any]]:
    """Where each webhook's time went between its POST and the agents' sockets, from times the
    processes already record: the event row's ``created_at`` (stored by the acknowledgement),
    the message's ``created_at`` (inserted by its batch), the event row's ``updated_at`` (set
    once per batch, just before the batch's last statement and its commit), the envelope's
    ``ts`` (taken when the live event is broadcast) and each socket's receive time. Per rate
    step: p50 / p99 in ms of each stage over every (webhook, socket) pair."""
    from datetime import datetime

    from channels_integrations.models import InboundEvent
    from tenants.tenancy import tenant_scope
    from tickets.models import Message

    with tenant_scope(tenant):
        messages = {
            int(body.split()[1]): (float(body.split()[-1]), created.timestamp())
            for body, created in Message.objects.filter(
                body__startswith="b1 ", direction="in"
            ).values_list("body", "created_at")
        }
        events = {
            int(event_id.rsplit(".", 1)[1]): (created.timestamp(), updated.timestamp())
            for event_id, created, updated in InboundEvent.objects.filter(
                provider_event_id__startswith="wamid.BENCH."
            ).values_list("provider_event_id", "created_at", "updated_at")
        }
    split = []
    for step in steps:
        first, last = step["first"], step["first"] + step["posted"]
        pairs: dict[str, list[float]] = {name: [] for name, _, _ in STAGES}
        for n, received, ts in frames:
            if not first <= n < last or n not in messages or n not in events:
                continue
            posted, inserted = messages[n]
            stored, batch_end = events[n]
            times = {
                "posted": posted,
                "stored": stored,
                "inserted": inserted,
                "batch_end": batch_end,
                "envelope": datetime.fromisoformat(ts).timestamp(),
                "socket": received,
            }
            for name, start, end in STAGES:
                pairs[name].append((times[end] - times[start]) * 1000)
        split.append(
            {
                "rate": step["rate"],
                "stages": {name: latencies(sorted(v)) for name, v in pairs.items()},
            }
        )
    return split


def reconcile(tenant: Any, posted: int) -> dict[str, Any]:
    """Wait for the inbound queue to drain (up to 2 minutes), then count what was stored."""
    from django.db.models import Count

    from bench.seeding import inbound_drained
    from channels_integrations.models import InboundEvent
    from tenants.tenancy import tenant_scope

    drained = inbound_drained(tenant, body_prefix="b1 ")
    with tenant_scope(tenant):
        stuck = list(
            InboundEvent.objects.exclude(status=InboundEvent.Status.PROCESSED)
            .values_list("attempts", "last_error")
            .annotate(n=Count("pk"))
            .order_by("-n")[:5]
        )
    return {
        "posted": posted,
        "stored": drained["stored"],
        **reconciliation(expected=posted, stored=drained["stored"], unique=drained["unique"]),
        "events": drained["events"],
        "drain_s": drained["drain_s"],
        "unprocessed": [list(row) for row in stuck],
    }


# ------------------------------------------------------------------ outbound (B7)


def replies(seeded: dict[str, Any], rate: float, count: int, tag: str) -> float:
    """``count`` agent replies through the service at ``rate`` per second (0: at once)."""
    from tenants.tenancy import tenant_scope
    from tickets.services.messages import message_send

    start = time.perf_counter()
    with tenant_scope(seeded["tenant"]):
        for n in range(count):
            if rate:
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            message_send(
                ticket=seeded["reply_ticket"],
                by=seeded["author"],
                body=f"b7 {tag} {n} {time.time():.6f}",
            )
    return time.perf_counter() - start


def wait_sent(sim: Simulator, tag: str, count: int, timeout: float = 90) -> None:
    wait_until(
        lambda: {t for t in sim.sent_texts() if t.startswith(f"b7 {tag} ")},
        lambda done: len(done) >= count,
        timeout=timeout,
    )


def outbound(sim: Simulator, seeded: dict[str, Any], seconds: float) -> dict[str, Any]:
    rate = 20.0
    count = int(rate * seconds)
    sim.faults = Faults(latency=0.05, error_rate=0.01)
    log(f"outbound: {count} replies at {rate:g}/s")
    replies(seeded, rate, count, "steady")
    wait_sent(sim, "steady", count)
    steady = [r for r in sim.sends() if str(r.body.get("text", "")).startswith("b7 steady ")]
    reply = latencies(
        sorted((r.at - float(str(r.body["text"]).split()[-1])) * 1000 for r in steady)
    )
    first, last = (min(r.at for r in steady), max(r.at for r in steady)) if steady else (0, 0)
    texts = sim.sent_texts()
    errors = sum(1 for r in sim.requests if r.status >= 500)
    burst = 150
    log(f"outbound: a burst of {burst} replies at once (the limit is {TELEGRAM_LIMIT}/s)")
    sim.faults = Faults(latency=0.02)
    sim.reset()
    started = time.time()
    replies(seeded, 0, burst, "burst")
    wait_sent(sim, "burst", burst)
    burst_sends = sim.sends()
    burst_texts = sim.sent_texts()
    return {
        "count": count,
        "sent": len({t for t in texts if t.startswith("b7 steady ")}),
        **reply,
        "sends_per_s": len(steady) / (last - first) if last > first else None,
        "provider_errors_retried": errors,
        "duplicates": sum(n - 1 for t, n in texts.items() if t.startswith("b7 ") and n > 1)
        + sum(n - 1 for t, n in burst_texts.items() if n > 1),
        "burst": burst,
        "burst_sent": len(burst_sends),
        "burst_seconds": (max(r.at for r in burst_sends) - started) if burst_sends else None,
        "busiest_second": sim.busiest_second(BOT_TOKEN),
        "limit": TELEGRAM_LIMIT,
    }


# ------------------------------------------------------------------ driver


def measure(
    database: str,
    redis_url: str,
    rates: list[float],
    seconds: float,
    work: Path,
    stages: bool = False,
) -> dict[str, Any]:
    keys = app_keys()
    with bench_database(database, redis_url=redis_url, log=log) as database:
        import redis

        seeded = seed()
        with simulator_running(Simulator()) as sim:
            env = {
                **keys,
                "META_GRAPH_API_URL": sim.graph_url,
                "TELEGRAM_API_BASE_URL": sim.telegram_base_url,
            }
            with app_processes(
                database=database, redis_url=redis_url, work=work, env=env, log=log
            ) as app:
                frames: list[tuple[int, float, str]] | None = [] if stages else None
                steps, posted = asyncio.run(inbound(app, seeded, rates, seconds, frames))
                reconciled = reconcile(seeded["tenant"], posted)
                split = stage_split(seeded["tenant"], steps, frames) if frames else None
                broker = redis.Redis.from_url(redis_url)
                reconciled["broker"] = {
                    "inbound_queued": broker.llen("inbound"),
                    "unacked": broker.hlen("unacked"),
                }
                out = outbound(sim, seeded, seconds)
    result = {"inbound": steps, "reconciled": reconciled, "outbound": out}
    if split is not None:
        result["stages"] = split
    return result


def print_report(result: dict[str, Any]) -> None:
    rows = [
        [
            f"{s['rate']:g}/s",
            f"{s['acked']}/{s['posted']}",
            dash(s["acks_per_s"], 1),
            dash(s["ack_p50_ms"], 1),
            dash(s["ack_p99_ms"], 1),
            dash(s["e2e_p50_ms"]),
            dash(s["e2e_p99_ms"]),
            f"{s['socket_events']}/{s['socket_expected']}",
        ]
        for s in result["inbound"]
    ]
    print("\nInbound: WhatsApp webhooks -> stored -> 20 agent websockets")
    print(
        table(
            rows,
            header=[
                "rate",
                "acked",
                "acks/s",
                "ack p50 ms",
                "ack p99 ms",
                "e2e p50 ms",
                "e2e p99 ms",
                "socket events",
            ],
        )
    )
    for step in result.get("stages", []):
        print(f"\nStages at {step['rate']:g}/s, ms over every (webhook, socket) pair:")
        print(
            table(
                [
                    [name, dash(v["p50_ms"], 1), dash(v["p99_ms"], 1)]
                    for name, v in step["stages"].items()
                ],
                header=["stage", "p50", "p99"],
            )
        )
    r = result["reconciled"]
    print(
        f"Reconciliation: {r['posted']} webhooks, {r['stored']} messages stored, "
        f"{r['lost']} lost, {r['doubled']} doubled; inbound events {r['events']}; "
        f"backlog drained {r['drain_s']} s after the last webhook"
    )
    print(f"Broker after the drain: {r.get('broker')}")
    if r["unprocessed"]:
        print(f"Unprocessed events (attempts, last error, count): {r['unprocessed']}")
    o = result["outbound"]
    print(
        f"\nOutbound: {o['sent']}/{o['count']} replies at 20/s through the simulator "
        f"(50 ms, 1% 500): reply -> provider p50 {dash(o['p50_ms'])} ms, "
        f"p99 {dash(o['p99_ms'])} ms, "
        f"{dash(o['sends_per_s'], 1)} sends/s, {o['provider_errors_retried']} provider errors "
        f"retried, {o['duplicates']} duplicates"
    )
    print(
        f"Rate limit: a burst of {o['burst']} replies took {dash(o['burst_seconds'], 1)} s; "
        f"busiest second {o['busiest_second']} sends (limit {o['limit']}/s)"
    )


def sustained_rate(steps: list[dict[str, Any]], p99_ms: float = 1000) -> float:
    """P1: the highest offered rate whose step brought every message to every agent's socket
    with webhook -> socket p99 within ``p99_ms`` (0 when none did)."""
    kept = [
        s["rate"]
        for s in steps
        if s["socket_events"] == s["socket_expected"]
        and s["e2e_p99_ms"] is not None
        and s["e2e_p99_ms"] <= p99_ms
    ]
    return max(kept, default=0.0)


def issue_figures(ctx: BenchContext, steps: list[dict[str, Any]]) -> list[Figure]:
    """P1 and P2 of the performance issue, each with its ratio to this run's raw limits."""
    by_rate = {s["rate"]: s for s in steps}
    at_50, at_100 = by_rate.get(50.0, {}), by_rate.get(100.0, {})
    return [
        ctx.figure(
            id="P1.sustained_per_s",
            name="P1 inbound end to end, sustained (all delivered, socket p99 <= 1 s)",
            value=sustained_rate(steps),
            unit="messages/s",
            goal=(">=", 150),
            limit="L.pg_insert_tps_c1",
            note=f"offered {', '.join(f'{s:g}' for s in sorted(by_rate))}/s",
        ),
        ctx.figure(
            id="P1.e2e_p99_ms_at_50",
            name="P1 webhook -> agent websocket p99 at 50/s (20 sockets)",
            value=at_50.get("e2e_p99_ms"),
            unit="ms",
            goal=("<=", 300),
            limit="L.redis_publish_p99_ms",
        ),
        ctx.figure(
            id="P2.ack_p99_ms_at_100",
            name="P2 webhook acknowledgement p99 at 100/s offered",
            value=at_100.get("ack_p99_ms"),
            unit="ms",
            goal=("<=", 100),
            limit="L.pg_insert_ms",
        ),
    ]


def run(ctx: BenchContext) -> list[Figure]:
    """B1 and B7 inside ``make bench``."""
    result = measure(
        ctx.database("ingest"),
        ctx.redis_url,
        [20.0, 50.0, 100.0, 150.0],
        8.0,
        Path(ctx.work_dir) / "ingest",
    )
    print_report(result)
    ctx.details["ingest"] = result
    figures = issue_figures(ctx, result["inbound"])
    for s in result["inbound"]:
        rate = f"{s['rate']:g}"
        figures += [
            ctx.figure(
                id=f"B1.{rate}.ack_p99_ms",
                name=f"Webhook acknowledgement p99 at {rate}/s",
                value=s["ack_p99_ms"],
                unit="ms",
                note=f"p50 {dash(s['ack_p50_ms'], 1)} ms; {s['acked']}/{s['posted']} acked",
            ),
            ctx.figure(
                id=f"B1.{rate}.e2e_p99_ms",
                name=f"Webhook -> agent websocket p99 at {rate}/s (20 sockets)",
                value=s["e2e_p99_ms"],
                unit="ms",
                note=f"p50 {dash(s['e2e_p50_ms'])} ms; {s['socket_events']}/{s['socket_expected']}",
            ),
        ]
    r = result["reconciled"]
    figures.append(
        ctx.figure(
            id="B1.lost",
            name="Webhooks lost or doubled (reconciliation)",
            value=float(r["lost"] + r["doubled"]),
            unit="messages",
            goal=("==", 0),
            note=f"{r['stored']} stored of {r['posted']}",
        )
    )
    o = result["outbound"]
    figures += [
        ctx.figure(
            id="B7.p99_ms",
            name="Reply -> provider p99 at 20/s (simulator 50 ms, 1% 500)",
            value=o["p99_ms"],
            unit="ms",
            goal=("<=", 1000),
            note=f"p50 {dash(o['p50_ms'])} ms; {o['provider_errors_retried']} errors retried",
        ),
        ctx.figure(
            id="B7.duplicates",
            name="Replies sent twice",
            value=float(o["duplicates"]),
            unit="messages",
            goal=("==", 0),
        ),
        ctx.figure(
            id="B7.busiest_second",
            name="Most sends in any 1 s window, one Telegram connection",
            value=float(o["busiest_second"]),
            unit="sends",
            goal=("<=", TELEGRAM_LIMIT),
            note=f"burst of {o['burst']} in {dash(o['burst_seconds'], 1)} s",
        ),
    ]
    return figures


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rates", type=float, nargs="*", default=[20.0, 50.0, 100.0, 150.0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--stages",
        action="store_true",
        help="split each webhook's time to the sockets into stages (bench/ingest.py stage_split)",
    )


def main() -> int:
    return standalone_main(
        name="ingest",
        doc=__doc__ or "",
        database="tt_bench_ingest",
        redis_url="redis://127.0.0.1:6379/10",
        options=options,
        measure=lambda args, work: measure(
            args.database, args.redis_url, args.rates, args.seconds, work, args.stages
        ),
        report=print_report,
    )


if __name__ == "__main__":
    raise SystemExit(main())
