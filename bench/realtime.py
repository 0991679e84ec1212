"""Websocket fan-out of live events (issue "live updates", B4; issue 22's P7).

Seeds one tenant with N agents, all members of one queue holding one ticket; starts K daphne
processes on loopback (the production websocket server; K replicas behind nginx in
docker-compose.yml) against a throw-away database; connects N websocket clients as those agents
(JWT), spread evenly over the K processes; then, from a process of its own (as a web or Celery
process would), creates internal notes on the ticket through the service at a fixed rate, each
stamped with its creation time. Every client records when each
``message.created`` arrives. Prints, per N: p50/p99/max latency from creation to receipt over
every (client, event) pair, delivered events per second, lost events (expected − received) and
sequence gaps (a note missing between two a socket received, or one arriving after a later one),
and the CPU time the daphne processes used per delivery (user + system, from /proc: the figure
least moved by what else the machine runs). P7 is the 500 sockets × 10 events/s row: p99 <= 250
ms and 0 gaps.

    .venv/bin/python bench/realtime.py                      # N = 100 then 500
    .venv/bin/python bench/realtime.py --clients 500 --seconds 5 --daphne 1 --raw-limit
    .venv/bin/python bench/realtime.py --clients 100 --rate 20 --seconds 10
    .venv/bin/python bench/realtime.py --clients 500 --profile /tmp/fanout   # py-spy, per daphne
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
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
from bench.processes import DAPHNE_ENV, ManagedProcess, daphne_command  # noqa: E402

SLUG = "benchrt"
REDIS_DB = "redis://127.0.0.1:6379/9"
# daphne processes (docker-compose.yml's TIKTICKETS_WEBSOCKETS_REPLICAS default): one per core
# of the 2-core machine the goals are set for (docs/performance.md, "Fan-out (P7)").
DAPHNES = 2
P7_CLIENTS, P7_RATE, P7_GOAL_MS = 500, 10.0, 250
CONNECT_ATTEMPTS = 5
HANDSHAKES_AT_ONCE = 20  # per daphne process


def log(message: str) -> None:
    print(f"[realtime] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="*", default=[100, 500])
    parser.add_argument("--rate", type=float, default=10.0, help="events created per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each run")
    parser.add_argument("--database", default="tt_bench_realtime")
    parser.add_argument("--redis-url", default=REDIS_DB, help="a Redis database it may empty")
    parser.add_argument("--port", type=int, default=0, help="first daphne's port (0: a free one)")
    parser.add_argument(
        "--daphne", type=int, default=DAPHNES, metavar="K", help="daphne processes (ports)"
    )
    parser.add_argument(
        "--raw-limit",
        action="store_true",
        help="measure L.ws_fanout_p99_ms first (bench/raw_limits.py) and print P7's ratio to it",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="py-spy each daphne during the notes of each run; writes DIR/<N>x<rate>-<k>.txt",
    )
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
        )
        tokens = [issue_token_pair(user)["access"] for user in users]
        author = User.objects.get(email="admin@bench.example")
    return {"tenant": tenant, "ticket": ticket, "author": author, "tokens": tokens}


DAPHNE_LOG = Path(tempfile.gettempdir()) / "tiktickets-bench-daphne.log"


def daphne_log(n: int) -> Path:
    return DAPHNE_LOG if n == 0 else DAPHNE_LOG.with_name(f"{DAPHNE_LOG.stem}-{n + 1}.log")


def start_daphnes(ports: list[int], env: dict[str, str]) -> list[ManagedProcess]:
    """One daphne per port on loopback (bench/processes.py's command, as docker-compose runs
    it); their output goes to DAPHNE_LOG and its -2, -3... siblings (read them when a run
    fails)."""
    processes = [
        ManagedProcess(
            f"daphne-{n + 1}",
            daphne_command(port, proxy_headers=True),
            {**env, **DAPHNE_ENV},
            daphne_log(n),
        )
        for n, port in enumerate(ports)
    ]
    deadline = time.time() + 30
    waiting = list(zip(processes, ports, strict=True))
    while waiting and time.time() < deadline:
        process, port = waiting[0]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                waiting.pop(0)
        except OSError as exc:
            if not process.alive():
                for other in processes:
                    other.stop()
                raise SystemExit(f"daphne died: see {process.log_path}") from exc
            time.sleep(0.2)
    if waiting:
        for process in processes:
            process.stop()
        raise SystemExit("daphne did not start in 30 s")
    return processes


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sequence_gaps(notes: list[int]) -> int:
    """Gaps one socket saw in the notes' sequence, in arrival order: every note missing
    between the first and the last it received, and every note that came after a later one."""
    if not notes:
        return 0
    late = 0
    highest = -1
    for n in notes:
        if n < highest:
            late += 1
        highest = max(highest, n)
    return (max(notes) - min(notes) + 1 - len(set(notes))) + late


async def client(
    url: str,
    host: str,
    token: str,
    ready: asyncio.Event,
    stop: asyncio.Event,
    sink: list[float],
    notes: list[int],
    handshakes: asyncio.Semaphore,
) -> int:
    """One agent: connect, then record the latency and the number of every message.created
    until ``stop``."""
    import websockets

    other = 0
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    # daphne drops a handshake its app has not accepted within 5 s: at most HANDSHAKES_AT_ONCE
    # sockets are connecting at any time (a loaded machine accepts them more slowly), and one
    # that was dropped tries again after a pause, as the dashboard does.
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            await handshakes.acquire()
            ws = await websockets.connect(
                url.replace("127.0.0.1", host),  # the tenant's host name in the handshake...
                host="127.0.0.1",  # ...while the TCP connection goes to loopback
                port=port,
                additional_headers={"Authorization": f"Bearer {token}"},
                max_size=2**22,
                open_timeout=60,
                ping_interval=None,
            )
            break
        except (OSError, websockets.exceptions.InvalidMessage):
            handshakes.release()
            if attempt == CONNECT_ATTEMPTS - 1:
                raise
            await asyncio.sleep(1 + attempt)
    async with ws:
        try:
            hello = json.loads(await ws.recv())
        finally:
            handshakes.release()
        if hello["type"] != "hello":
            raise RuntimeError(f"unexpected first frame {hello}")
        ready.set()

        async def listen() -> None:
            nonlocal other
            # A plain recv() per frame: a wait_for() around it made a task per frame, a tenth of
            # this process's time at 500 sockets (docs/performance.md, "Fan-out II (P7)").
            while True:
                frame = await ws.recv()
                received = time.time()
                event = json.loads(frame)
                if event["type"] == "message.created":
                    _, n, created = event["data"]["message"]["body"].split()
                    sink.append((received - float(created)) * 1000)
                    notes.append(int(n))
                else:
                    other += 1

        listening = asyncio.create_task(listen())
        await stop.wait()
        listening.cancel()  # websockets: a cancelled recv() loses nothing
        with contextlib.suppress(asyncio.CancelledError):
            await listening
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


def _producer_main(
    database: str,
    redis_url: str,
    ids: dict[str, Any],
    rate: float,
    seconds: float,
    ready: Any,
    go: Any,
    done: Any,
) -> None:
    """The producer's own process: Django set up on the bench database, then ``produce`` once
    ``go`` is set; puts the number of notes in ``done``."""
    from bench.harness import django_setup

    django_setup(database, redis_url=redis_url)
    from channels.layers import get_channel_layer

    from accounts.models import User
    from realtime.broadcast import send_from_sync
    from realtime.stream import stream_last_id
    from tenants.models import Tenant
    from tenants.tenancy import tenant_scope
    from tickets.models import Ticket
    from tickets.services import messages  # noqa: F401  (imported before the first note)

    tenant = Tenant.objects.get(schema_name=ids["schema"])
    with tenant_scope(tenant):
        ticket = Ticket.objects.get(pk=ids["ticket"])
        author = User.objects.get(pk=ids["author"])
        stream_last_id()  # Redis connected
    layer = get_channel_layer()
    # The sender loop and its channel-layer connection up, to a group nobody is in: the first
    # note's latency is then the service's, not this process's start.
    send_from_sync(layer.group_send("bench-warm-up", {"type": "bench.warm_up"}))
    ready.set()
    go.wait()
    done.put(produce(ticket, author, tenant, rate, seconds))


class Producer:
    """``produce`` in a process of its own, as the service runs in a web or Celery process in
    production: on a thread of this process it held the GIL away from the 500 clients, whose
    receipts then waited behind each note's service call (docs/performance.md, "Fan-out II
    (P7)")."""

    def __init__(self, seeded: dict[str, Any], rate: float, seconds: float) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked sockets
        self.ready, self.go, self.done = context.Event(), context.Event(), context.Queue()
        self.process = context.Process(
            target=_producer_main,
            args=(
                seeded["database"],
                seeded["redis_url"],
                {
                    "schema": seeded["tenant"].schema_name,
                    "ticket": seeded["ticket"].pk,
                    "author": seeded["author"].pk,
                },
                rate,
                seconds,
                self.ready,
                self.go,
                self.done,
            ),
            name="bench-producer",
        )

    def start(self) -> None:
        """Start the process and wait until it is ready to produce."""
        self.process.start()
        if not self.ready.wait(timeout=120):
            self.process.kill()
            raise RuntimeError("the producer process did not start in 120 s")

    def run(self, timeout: float) -> int:
        """Let it produce; the number of notes it created."""
        self.go.set()
        count: int = self.done.get(timeout=timeout)
        self.process.join(timeout=10)
        return count


def start_profilers(
    daphnes: list[ManagedProcess], seconds: float, out: Path, tag: str
) -> list[tuple[subprocess.Popen[bytes], Path]]:
    """py-spy (``pip install py-spy``) sampling each daphne for ``seconds``, idle frames left out;
    collapsed stacks, one file per process (``DIR/<tag>-<k>.txt``), and this process too (the
    clients and the producer, ``DIR/<tag>-bench.txt``): a latency is only the server's when the
    clients keep up with what they receive."""
    out.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).parent / "py-spy"
    profilers = []
    pids = [(str(k), daphne.pid) for k, daphne in enumerate(daphnes, start=1)]
    for name, pid in [*pids, ("bench", os.getpid())]:
        path = out / f"{tag}-{name}.txt"
        command = [str(spy), "record", "--format", "raw", "--rate", "200", "--nonblocking"]
        command += ["-d", str(int(seconds) + 1), "-o", str(path), "-p", str(pid)]
        if name == "bench":
            command.append("--threads")  # the producer runs on a thread of its own
        profilers.append((subprocess.Popen(command, stdout=subprocess.DEVNULL), path))
    return profilers


async def run_one(
    n_clients: int,
    seeded: dict[str, Any],
    ports: list[int],
    rate: float,
    seconds: float,
    daphnes: list[ManagedProcess],
    profile: Path | None = None,
) -> dict[str, Any]:
    urls = [f"ws://127.0.0.1:{port}/ws/" for port in ports]
    host = f"{SLUG}.localhost"
    stop = asyncio.Event()
    sinks: list[list[float]] = [[] for _ in range(n_clients)]
    notes: list[list[int]] = [[] for _ in range(n_clients)]
    readies = [asyncio.Event() for _ in range(n_clients)]
    connect_started = time.perf_counter()
    tasks = []
    handshakes = asyncio.Semaphore(HANDSHAKES_AT_ONCE * len(urls))
    for i in range(n_clients):  # all at once, as browsers after a deploy
        url = urls[i % len(urls)]  # spread evenly over the daphne processes, as nginx does
        tasks.append(
            asyncio.create_task(
                client(
                    url, host, seeded["tokens"][i], readies[i], stop, sinks[i], notes[i], handshakes
                )
            )
        )
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=120)
    connect_seconds = time.perf_counter() - connect_started
    await asyncio.sleep(3)  # let the presence announcements of the connects settle
    for sink in sinks:
        sink.clear()
    for received in notes:
        received.clear()
    producer = Producer(seeded, rate, seconds)
    await asyncio.to_thread(producer.start)
    profilers = (
        start_profilers(daphnes, seconds, profile, f"{n_clients}x{rate:g}")
        if profile is not None
        else []
    )
    cpu_started = sum(cpu_seconds(daphne.pid) for daphne in daphnes)
    started = time.perf_counter()
    created = await asyncio.to_thread(producer.run, seconds + 60)
    produced_seconds = time.perf_counter() - started
    deadline = time.time() + 15
    while sum(len(s) for s in sinks) < created * n_clients and time.time() < deadline:
        await asyncio.sleep(0.1)
    drained_seconds = time.perf_counter() - started
    daphne_cpu = sum(cpu_seconds(daphne.pid) for daphne in daphnes) - cpu_started
    stop.set()
    others = await asyncio.gather(*tasks)
    for profiler, path in profilers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            profiler.wait(timeout=30)
        log(f"profile: {path}")
    latencies = sorted(value for sink in sinks for value in sink)
    expected = created * n_clients
    return {
        "clients": n_clients,
        "daphnes": len(ports),
        "rate": rate,
        "created": created,
        "expected": expected,
        "received": len(latencies),
        "lost": expected - len(latencies),
        "gaps": sum(sequence_gaps(received) for received in notes),
        "connect_seconds": round(connect_seconds, 2),
        "p50_ms": percentile(latencies, 50) if latencies else None,
        "p99_ms": percentile(latencies, 99) if latencies else None,
        "max_ms": latencies[-1] if latencies else None,
        "delivered_per_second": len(latencies) / drained_seconds,
        # CPU the daphne processes used from the first note until the last delivery, per
        # delivery: unlike the latencies, barely moved by what else the machine runs.
        "daphne_cpu_us_per_delivery": (
            round(daphne_cpu * 1e6 / len(latencies), 1) if latencies else None
        ),
        "produce_seconds": round(produced_seconds, 2),
        "other_frames": sum(others),
    }


def measure(
    database: str,
    redis_url: str,
    plan: list[tuple[int, float]],
    seconds: float,
    port: int = 0,
    daphnes: int = DAPHNES,
    profile: Path | None = None,
) -> list[dict[str, Any]]:
    """Seed once for the largest N, start ``daphnes`` daphne processes, run each
    (clients, rate) of ``plan``."""
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
        seeded = {**seed(most), "database": database, "redis_url": redis_url}
        first = port or _free_port()
        ports = [first, *(_free_port() for _ in range(daphnes - 1))]
        processes = start_daphnes(ports, env)
        results = []
        try:
            for n, rate in plan:
                log(f"{n} clients, {rate:g} events/s for {seconds:g} s, {daphnes} daphne")
                try:
                    results.append(
                        asyncio.run(run_one(n, seeded, ports, rate, seconds, processes, profile))
                    )
                except Exception as exc:  # report the failure, keep the other figures
                    log(f"{n} clients FAILED: {exc!r} (daphne log: {DAPHNE_LOG})")
                    results.append({"clients": n, "rate": rate, "failed": repr(exc)})
        finally:
            for process in processes:
                process.stop(grace=10)
    return results


def p7_figures(ctx: BenchContext | None, results: list[dict[str, Any]]) -> list[Figure]:
    """Issue 22's P7 from the 500 × 10/s row: p99 <= 250 ms (ratio to the bare server's p99)
    and 0 sequence gaps."""
    row = next(
        (r for r in results if (r["clients"], r["rate"]) == (P7_CLIENTS, P7_RATE)),
        None,
    )
    if row is None:
        return []
    failed = row.get("failed")
    p99: dict[str, Any] = {
        "id": "P7.p99_ms",
        "name": f"P7 fan-out p99, service -> socket ({P7_CLIENTS} sockets, {P7_RATE:g} events/s)",
        "value": None if failed else row["p99_ms"],
        "unit": "ms",
        "goal": ("<=", P7_GOAL_MS),
        "note": failed or f"p50 {row['p50_ms']:.0f} ms; {row['daphnes']} daphne",
    }
    gaps = Figure(
        id="P7.gaps",
        name=f"P7 sequence gaps ({P7_CLIENTS} sockets, {P7_RATE:g} events/s)",
        value=None if failed else float(row["gaps"]),
        unit="gaps",
        goal=("==", 0),
        note=failed or f"{row['lost']} lost; {row['received']}/{row['expected']} received",
    )
    if ctx is None:
        return [Figure(**p99), gaps]
    return [ctx.figure(limit="L.ws_fanout_p99_ms", **p99), gaps]


def run(ctx: BenchContext) -> list[Figure]:
    """B4 inside ``make bench``: the issue's 100 and 500 agents at 10 events/s (the 500 row is
    also P7), then the goal's 200 sockets at 20 events/s (p99 <= 250 ms), DAPHNES processes."""
    plan = [(100, 10.0), (P7_CLIENTS, P7_RATE), (200, 20.0)]
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
                note=failed
                or f"{r['received']}/{r['expected']} received; {r['gaps']} gaps; "
                f"{r['daphnes']} daphne",
            ),
        ]
    return figures + p7_figures(ctx, results)


def raw_fanout_p99_ms() -> float | None:
    """L.ws_fanout_p99_ms measured now (bench/raw_limits.py, 3 s), for P7's ratio."""
    from bench.raw_limits import websocket_limits

    for fig in websocket_limits(3):
        if fig.id == "L.ws_fanout_p99_ms":
            return fig.value
    return None


def main() -> int:
    args = parse_args()
    plan = [(n, args.rate) for n in args.clients]
    limit_ms = raw_fanout_p99_ms() if args.raw_limit else None
    results = measure(
        args.database,
        args.redis_url,
        plan,
        args.seconds,
        port=args.port,
        daphnes=max(1, args.daphne),
        profile=Path(args.profile) if args.profile else None,
    )
    rows = [
        [str(r["clients"]), f"{r['rate']:g}/s", "FAILED: " + r["failed"][:60], *[""] * 8]
        if "failed" in r
        else [
            str(r["clients"]),
            f"{r['rate']:g}/s",
            f"{r['p50_ms']:.1f}" if r["p50_ms"] is not None else "-",
            f"{r['p99_ms']:.1f}" if r["p99_ms"] is not None else "-",
            f"{r['max_ms']:.1f}" if r["max_ms"] is not None else "-",
            f"{r['delivered_per_second']:.0f}",
            f"{r['daphne_cpu_us_per_delivery']:.0f}"
            if r["daphne_cpu_us_per_delivery"] is not None
            else "-",
            f"{r['received']}/{r['expected']}",
            str(r["lost"]),
            str(r["gaps"]),
            f"{r['connect_seconds']:.1f}",
        ]
        for r in results
    ]
    git = git_info()
    print()
    stamp = f"{utc_now():%Y-%m-%dT%H:%M:%SZ}"
    processes = f"{args.daphne} daphne process{'es' if args.daphne > 1 else ''}"
    print(f"Websocket fan-out, {processes}; commit {git.get('commit')}, {stamp}")
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
                "daphne CPU us/delivery",
                "received",
                "lost",
                "gaps",
                "connect s",
            ],
        )
    )
    for fig in p7_figures(None, results):
        value = "n/a" if fig.value is None else f"{fig.value:,.1f}"
        verdict = {True: "met", False: "MISSED", None: ""}[fig.met]
        ratio = ""
        if fig.id == "P7.p99_ms" and limit_ms and fig.value is not None:
            ratio = f"; {fig.value / limit_ms:.3g} x L.ws_fanout_p99_ms ({limit_ms:.2f} ms)"
        goal = f"{fig.goal[0]} {fig.goal[1]:g}" if fig.goal else ""
        print(f"{fig.id:10} {value:>8} {fig.unit:4} goal {goal} {verdict} ({fig.note}{ratio})")
    path = write_run_result(
        "realtime", {"results": results, "L.ws_fanout_p99_ms": limit_ms}, git=git
    )
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
