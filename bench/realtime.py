"""Websocket fan-out of live events (issue "live updates", B4).

Seeds one tenant with N agents, all members of one queue holding one ticket; starts a daphne
process on loopback (the production websocket server) against a throw-away database; connects N
websocket clients as those agents (JWT); then creates internal notes on the ticket through the
service at a fixed rate, each stamped with its creation time. Every client records when each
``message.created`` arrives. Prints, per N: p50/p99/max latency from creation to receipt over
every (client, event) pair, delivered events per second, and lost events (expected − received).

    .venv/bin/python bench/realtime.py                      # N = 100 then 500
    .venv/bin/python bench/realtime.py --clients 100 --rate 20 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    check_database_name,
    git_info,
    percentile,
    table,
    utc_now,
    write_run_result,
)
from bench.harness import BenchContext, Figure, bench_database  # noqa: E402

SLUG = "benchrt"
REDIS_DB = "redis://127.0.0.1:6379/9"


def log(message: str) -> None:
    print(f"[realtime] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="*", default=[100, 500])
    parser.add_argument("--rate", type=float, default=10.0, help="events created per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each run")
    parser.add_argument("--database", default="tt_bench_realtime")
    parser.add_argument("--port", type=int, default=0, help="daphne port (0: a free one)")
    return parser.parse_args()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def seed(agents: int) -> dict[str, Any]:
    """The tenant, ``agents`` agents in one queue, one ticket there; returns tokens and ids."""
    from accounts.models import User
    from accounts.tokens import issue_token_pair
    from bench.seeding import tenant_with_agents
    from connections.models import ChannelConnection
    from contacts.models import Contact
    from tenants.tenancy import tenant_scope
    from tickets.models import ConnectionRouting, Ticket
    from tickets.protocols import protocol_next

    tenant, queue, users = tenant_with_agents(
        name="Bench realtime", slug=SLUG, email_domain="bench.example", agents=agents
    )
    with tenant_scope(tenant):
        connection = ChannelConnection.objects.create(provider="webchat", name="Bench")
        ConnectionRouting.objects.create(connection=connection, default_queue=queue)
        contact = Contact.objects.create(name="Cliente Bench")
        ticket = Ticket.objects.create(
            protocol=protocol_next(),
            contact=contact,
            connection=connection,
            queue=queue,
            last_message_at=None,
        )
        tokens = [issue_token_pair(user)["access"] for user in users]
        author = User.objects.get(email="admin@bench.example")
    return {"tenant": tenant, "ticket": ticket, "author": author, "tokens": tokens}


DAPHNE_LOG = Path(tempfile.gettempdir()) / "tiktickets-bench-daphne.log"


def start_daphne(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """daphne on loopback; its output goes to DAPHNE_LOG (read it when a run fails)."""
    log_file = DAPHNE_LOG.open("wb")
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "--proxy-headers",
            "tiktickets.asgi:application",
        ],
        cwd=ROOT,
        env={**env, "POSTGRES_POOL_SIZE": "4"},  # as docker-compose runs it
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError as exc:
            if process.poll() is not None:
                raise SystemExit(f"daphne died: see {DAPHNE_LOG}") from exc
            time.sleep(0.2)
    process.kill()
    raise SystemExit("daphne did not start in 30 s")


async def client(
    url: str, host: str, token: str, ready: asyncio.Event, stop: asyncio.Event, sink: list[float]
) -> int:
    """One agent: connect, then record the latency of every message.created until ``stop``."""
    import websockets

    other = 0
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    async with websockets.connect(
        url.replace("127.0.0.1", host),  # the tenant's host name in the handshake...
        host="127.0.0.1",  # ...while the TCP connection goes to loopback
        port=port,
        additional_headers={"Authorization": f"Bearer {token}"},
        max_size=2**22,
        open_timeout=60,
        ping_interval=None,
    ) as ws:
        hello = json.loads(await ws.recv())
        if hello["type"] != "hello":
            raise RuntimeError(f"unexpected first frame {hello}")
        ready.set()
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            received = time.time()
            event = json.loads(frame)
            if event["type"] == "message.created":
                created = float(event["data"]["message"]["body"].split()[-1])
                sink.append((received - created) * 1000)
            else:
                other += 1
    return other


def produce(ticket: Any, author: Any, tenant: Any, rate: float, seconds: float) -> int:
    """Notes at a fixed rate through the service (autocommit: published at once)."""
    from tenants.tenancy import tenant_scope
    from tickets.services.messages import note_add

    count = int(rate * seconds)
    interval = 1.0 / rate
    start = time.perf_counter()
    with tenant_scope(tenant):
        for n in range(count):
            target = start + n * interval
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            note_add(ticket=ticket, by=author, body=f"bench {n} {time.time():.6f}")
    return count


async def run_one(
    n_clients: int, seeded: dict[str, Any], port: int, rate: float, seconds: float
) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{port}/ws/"
    host = f"{SLUG}.localhost"
    stop = asyncio.Event()
    sinks: list[list[float]] = [[] for _ in range(n_clients)]
    readies = [asyncio.Event() for _ in range(n_clients)]
    connect_started = time.perf_counter()
    tasks = []
    for i in range(n_clients):  # connect in waves, as browsers do after a deploy
        tasks.append(
            asyncio.create_task(client(url, host, seeded["tokens"][i], readies[i], stop, sinks[i]))
        )
        if i % 25 == 24:
            await asyncio.sleep(0.25)
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=120)
    connect_seconds = time.perf_counter() - connect_started
    await asyncio.sleep(3)  # let the presence announcements of the connects settle
    for sink in sinks:
        sink.clear()
    started = time.perf_counter()
    created = await asyncio.to_thread(
        produce, seeded["ticket"], seeded["author"], seeded["tenant"], rate, seconds
    )
    produced_seconds = time.perf_counter() - started
    deadline = time.time() + 15
    while sum(len(s) for s in sinks) < created * n_clients and time.time() < deadline:
        await asyncio.sleep(0.1)
    drained_seconds = time.perf_counter() - started
    stop.set()
    others = await asyncio.gather(*tasks)
    latencies = sorted(value for sink in sinks for value in sink)
    expected = created * n_clients
    return {
        "clients": n_clients,
        "rate": rate,
        "created": created,
        "expected": expected,
        "received": len(latencies),
        "lost": expected - len(latencies),
        "connect_seconds": round(connect_seconds, 2),
        "p50_ms": percentile(latencies, 50) if latencies else None,
        "p99_ms": percentile(latencies, 99) if latencies else None,
        "max_ms": latencies[-1] if latencies else None,
        "delivered_per_second": len(latencies) / drained_seconds,
        "produce_seconds": round(produced_seconds, 2),
        "other_frames": sum(others),
    }


def measure(
    database: str, redis_url: str, plan: list[tuple[int, float]], seconds: float, port: int = 0
) -> list[dict[str, Any]]:
    """Seed once for the largest N, start daphne, run each (clients, rate) of ``plan``."""
    database = check_database_name(database)
    env = {
        **os.environ,
        "POSTGRES_DB": database,
        "REDIS_URL": redis_url,
        "CHANNEL_LAYER_PREFIX": "tt-bench-asgi",
        "CACHE_KEY_PREFIX": "tt-bench",
        "DJANGO_SETTINGS_MODULE": "tiktickets.settings.dev",
    }
    os.environ.update(env)
    with bench_database(database, redis_url=redis_url, log=log):
        most = max(n for n, _ in plan)
        log(f"seeding a tenant with {most} agents")
        seeded = seed(most)
        port = port or _free_port()
        daphne = start_daphne(port, env)
        results = []
        try:
            for n, rate in plan:
                log(f"{n} clients, {rate:g} events/s for {seconds:g} s")
                try:
                    results.append(asyncio.run(run_one(n, seeded, port, rate, seconds)))
                except Exception as exc:  # report the failure, keep the other figures
                    log(f"{n} clients FAILED: {exc!r} (daphne log: {DAPHNE_LOG})")
                    results.append({"clients": n, "rate": rate, "failed": repr(exc)})
        finally:
            daphne.terminate()
            daphne.wait(timeout=10)
    return results


def run(ctx: BenchContext) -> list[Figure]:
    """B4 inside ``make bench``: the issue's 100 and 500 agents at 10 events/s, then the goal's
    200 sockets at 20 events/s (p99 <= 250 ms), one daphne process."""
    plan = [(100, 10.0), (500, 10.0), (200, 20.0)]
    results = measure(ctx.database("realtime"), ctx.redis_url, plan, seconds=10.0)
    ctx.details["b4"] = results
    figures = []
    for r in results:
        tag = f"{r['clients']}x{r['rate']:g}"
        label = f"{r['clients']} sockets, {r['rate']:g} events/s"
        failed = r.get("failed")
        goal_row = r["clients"] == 200
        figures += [
            ctx.figure(
                id=f"B4.{tag}.p99_ms",
                name=f"Websocket fan-out p99, service -> socket ({label})",
                value=None if failed else r["p99_ms"],
                unit="ms",
                goal=("<=", 250) if goal_row else None,
                limit="L.ws_fanout_p99_ms",
                note=failed or f"p50 {r['p50_ms']:.0f} ms, max {r['max_ms']:.0f} ms",
            ),
            ctx.figure(
                id=f"B4.{tag}.deliveries_per_s",
                name=f"Websocket deliveries per second ({label})",
                value=None if failed else r["delivered_per_second"],
                unit="/s",
                goal=(">=", 4000) if goal_row else None,
                limit="L.ws_fanout_deliveries",
                note=failed or f"connect {r['connect_seconds']:.1f} s",
            ),
            ctx.figure(
                id=f"B4.{tag}.lost",
                name=f"Events lost ({label})",
                value=None if failed else float(r["lost"]),
                unit="events",
                goal=("==", 0),
                note=failed or f"{r['received']}/{r['expected']} received",
            ),
        ]
    return figures


def main() -> int:
    args = parse_args()
    plan = [(n, args.rate) for n in args.clients]
    results = measure(args.database, REDIS_DB, plan, args.seconds, port=args.port)
    rows = [
        [str(r["clients"]), f"{r['rate']:g}/s", "FAILED: " + r["failed"][:60], *[""] * 6]
        if "failed" in r
        else [
            str(r["clients"]),
            f"{r['rate']:g}/s",
            f"{r['p50_ms']:.1f}" if r["p50_ms"] is not None else "-",
            f"{r['p99_ms']:.1f}" if r["p99_ms"] is not None else "-",
            f"{r['max_ms']:.1f}" if r["max_ms"] is not None else "-",
            f"{r['delivered_per_second']:.0f}",
            f"{r['received']}/{r['expected']}",
            str(r["lost"]),
            f"{r['connect_seconds']:.1f}",
        ]
        for r in results
    ]
    git = git_info()
    print()
    stamp = f"{utc_now():%Y-%m-%dT%H:%M:%SZ}"
    print(f"Websocket fan-out, one daphne process; commit {git.get('commit')}, {stamp}")
    print(
        table(
            rows,
            header=[
                "clients",
                "created",
                "p50 ms",
                "p99 ms",
                "max ms",
                "delivered/s",
                "received",
                "lost",
                "connect s",
            ],
        )
    )
    path = write_run_result("realtime", {"results": results}, git=git)
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
