"""B10: WhatsApp QR gateway events through the inbound pipeline, production-like processes.

One tenant reading WhatsApp groups, with a WhatsApp QR connection whose gateway is the provider
simulator's Evolution API, and the docker-compose process topology on loopback (gunicorn,
daphne, the Celery workers; bench/processes.py). The gateway's ``messages.upsert`` webhooks are
posted to the connection's URL with its secret header at a fixed rate (20/s by default): texts
from 200 customers, one in ten in one of five groups (each group's subject asked of the
simulated gateway once), and one in twenty a redelivery of an earlier one. Prints the
acknowledgements per second and their p50/p99, the latency from the POST to the stored message
(its ``created_at``), and the reconciliation: messages stored == distinct events, none lost, none
doubled, every group one ticket.

    .venv/bin/python bench/qr_gateway.py                 # 20/s for 10 s
    .venv/bin/python bench/qr_gateway.py --rate 50 --seconds 8
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

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
)
from simulator import Delivery, Simulator, evolution_delivery, post_at_rate  # noqa: E402

SLUG = "benchqr"
SECRET_HEADER = "X-TikTickets-Webhook-Secret"
CUSTOMERS = 200
GROUPS = 5
GROUP_EVERY = 10  # one event in ten is a group message
REDELIVER_EVERY = 20  # one in twenty is an earlier event posted again

log = module_logger("qr_gateway")


def seed() -> dict[str, Any]:
    """The tenant (reading groups) and its QR connection, paired and routed by its token."""
    from bench.seeding import tenant_with_agents
    from connections.models import ChannelConnection
    from tenants.channel_routes import channel_routes_set
    from tenants.services import tenant_public_ensure, tenant_settings_update
    from tenants.tenancy import tenant_scope
    from tickets.models import ConnectionRouting

    tenant_public_ensure()
    tenant, queue, _agents = tenant_with_agents(
        name="Bench QR", slug=SLUG, email_domain="qr.example", agents=5
    )
    with tenant_scope(tenant):
        tenant_settings_update(tenant=tenant, values={"ignore_group_messages": False})
        connection = ChannelConnection(
            provider="whatsapp_qr",
            name="WhatsApp QR",
            status="connected",
            webhook_token=secrets.token_urlsafe(24),
            details={"session_state": "open", "number": "5511900000000"},
        )
        connection.credentials = {
            "instance_token": secrets.token_hex(24).upper(),
            "webhook_secret": secrets.token_urlsafe(48),
        }
        connection.save()
        ConnectionRouting.objects.create(connection=connection, default_queue=queue)
        channel_routes_set(
            provider="whatsapp_qr",
            connection_public_id=connection.public_id,
            keys=[connection.webhook_token],
        )
    return {"tenant": tenant, "connection": connection}


def deliveries(connection: Any, count: int) -> tuple[Callable[[int], Delivery], int]:
    """``make(n)`` for ``post_at_rate`` and how many distinct events it posts."""
    instance = f"tt-{connection.public_id}"
    sent: list[str] = []

    def make(n: int) -> Delivery:
        if n and n % REDELIVER_EVERY == 0:
            message_id = sent[n // 2]  # an earlier event, posted again as the gateway retries
        else:
            message_id = f"3EB0BENCH{n:010d}"
        sent.append(message_id)
        return evolution_delivery(
            webhook_token=connection.webhook_token,
            secret_header=SECRET_HEADER,
            secret=connection.credentials["webhook_secret"],
            instance=instance,
            sender=f"55119{n % CUSTOMERS:08d}",
            message_id=message_id,
            text=f"b10 {n} {time.time():.6f}",
            group=(
                f"1203630000000000{n // GROUP_EVERY % GROUPS:02d}" if n % GROUP_EVERY == 1 else ""
            ),
        )

    distinct = sum(1 for n in range(count) if not (n and n % REDELIVER_EVERY == 0))
    return make, distinct


def reconcile(tenant: Any, distinct: int) -> dict[str, Any]:
    """Wait for the inbound queue to drain (up to 2 minutes), then count what was stored."""
    from bench.seeding import inbound_drained
    from tenants.tenancy import tenant_scope
    from tickets.models import Ticket

    drained = inbound_drained(tenant, body_prefix="b10 ")
    stored = latencies(
        [
            (created.timestamp() - float(body.split()[-1])) * 1000
            for body, created in drained["created"]
        ]
    )
    with tenant_scope(tenant):
        group_tickets = Ticket.objects.filter(contact__is_group=True).count()
    return {
        "distinct": distinct,
        "stored": drained["stored"],
        **reconciliation(expected=distinct, stored=drained["stored"], unique=drained["unique"]),
        "events": drained["events"],
        "group_tickets": group_tickets,
        "stored_p50_ms": stored["p50_ms"],
        "stored_p99_ms": stored["p99_ms"],
        "drain_s": drained["drain_s"],
    }


def measure(
    database: str, redis_url: str, rate: float, seconds: float, work: Path
) -> dict[str, Any]:
    keys = app_keys()
    with bench_database(database, redis_url=redis_url, log=log) as database:
        seeded = seed()
        with simulator_running(Simulator()) as sim:
            for n in range(GROUPS):
                sim.evolution.groups[f"1203630000000000{n:02d}"] = {"subject": f"Grupo {n}"}
            env = {**keys, "EVOLUTION_API_URL": sim.evolution_url, "EVOLUTION_API_KEY": "bench"}
            count = int(rate * seconds)
            make, distinct = deliveries(seeded["connection"], count)
            with app_processes(
                database=database, redis_url=redis_url, work=work, env=env, log=log
            ) as app:
                log(f"{count} events at {rate:g}/s")
                started = time.perf_counter()
                result = asyncio.run(
                    post_at_rate(
                        app.http_url,
                        make,
                        count,
                        rate,
                        headers={"Host": "localhost", "X-Forwarded-Proto": "https"},
                    )
                )
                elapsed = time.perf_counter() - started
                reconciled = reconcile(seeded["tenant"], distinct)
    acks = result.acks_ms
    ack = latencies(acks)
    return {
        "rate": rate,
        "posted": count,
        "acked": len(acks),
        "refused": dict(result.refused),
        "acks_per_s": len(acks) / elapsed if elapsed else None,
        "ack_p50_ms": ack["p50_ms"],
        "ack_p99_ms": ack["p99_ms"],
        "group_infos_asked": sum(1 for r in sim.requests if r.method == "findGroupInfos"),
        **reconciled,
    }


def print_report(r: dict[str, Any]) -> None:
    print(
        f"\nWhatsApp QR gateway events at {r['rate']:g}/s: {r['acked']}/{r['posted']} acked "
        f"({dash(r['acks_per_s'], 1)}/s), ack p50 {dash(r['ack_p50_ms'], 1)} ms, "
        f"p99 {dash(r['ack_p99_ms'], 1)} ms; POST -> stored p50 {dash(r['stored_p50_ms'])} ms, "
        f"p99 {dash(r['stored_p99_ms'])} ms"
    )
    print(
        f"Reconciliation: {r['distinct']} distinct events ({r['posted'] - r['distinct']} "
        f"redeliveries), {r['stored']} messages stored, {r['lost']} lost, {r['doubled']} "
        f"doubled; {r['group_tickets']} group tickets for {GROUPS} groups "
        f"({r['group_infos_asked']} subjects asked); events {r['events']}; drained "
        f"{r['drain_s']} s after the last POST"
    )


def run(ctx: BenchContext) -> list[Figure]:
    """B10 inside ``make bench``: one short run at 20/s."""
    r = measure(ctx.database("qr"), ctx.redis_url, 20.0, 10.0, Path(ctx.work_dir) / "qr")
    print_report(r)
    ctx.details["qr_gateway"] = r
    return [
        ctx.figure(
            id="B10.ack_p99_ms",
            name="QR gateway webhook acknowledgement p99 at 20/s",
            value=r["ack_p99_ms"],
            unit="ms",
            goal=("<=", 100),
            note=f"p50 {dash(r['ack_p50_ms'], 1)} ms; {r['acked']}/{r['posted']} acked",
        ),
        ctx.figure(
            id="B10.stored_p99_ms",
            name="QR gateway webhook -> stored message p99 at 20/s",
            value=r["stored_p99_ms"],
            unit="ms",
            goal=("<=", 1000),
            note=f"p50 {dash(r['stored_p50_ms'])} ms",
        ),
        ctx.figure(
            id="B10.lost",
            name="QR gateway events lost or doubled (reconciliation)",
            value=float(r["lost"] + r["doubled"]),
            unit="messages",
            goal=("==", 0),
            note=f"{r['stored']} stored of {r['distinct']} distinct; "
            f"{r['group_tickets']}/{GROUPS} group tickets",
        ),
    ]


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)


def main() -> int:
    return standalone_main(
        name="qr_gateway",
        doc=__doc__ or "",
        database="tt_bench_qr",
        redis_url="redis://127.0.0.1:6379/4",
        options=options,
        measure=lambda args, work: measure(
            args.database, args.redis_url, args.rate, args.seconds, work
        ),
        report=print_report,
    )


if __name__ == "__main__":
    raise SystemExit(main())
