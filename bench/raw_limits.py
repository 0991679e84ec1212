"""Raw limits of the machine the bench runs on, measured at every run.

Each app figure of ``make bench`` is reported next to its ratio to one of these, so a slower or
busier machine moves both and the ratio stays comparable between runs.

Probes (each a few seconds, loopback only):

* **PostgreSQL single-row INSERT TPS** with ``pgbench`` (synchronous commit, the server's own
  settings) on a temporary database holding the shape of our hottest insert: a ``message`` table
  with a unique provider id, an index on ``(ticket_id, created_at DESC)`` and a foreign key to a
  10k-row ``ticket`` table. 1 and 2 clients. Plus ``pgbench -S`` (select one row by primary key),
  the latency of the cheapest indexed read, which inbox SQL times are compared with.
* **Redis PUBLISH ops/s** with ``redis-benchmark`` (2 clients, 512-byte payload, no subscriber),
  or a redis-py loop when the binary is missing (the figure's note says which).
* **Bare asyncio websocket fan-out**: a ``websockets`` server in a child process broadcasts every
  frame it gets from one publisher to 100 listening connections of this process; as fast as
  possible (deliveries/s) and paced at 100 events/s (delivery latency p50/p99).
* **Bare HTTP**: ``bench/bare_wsgi.py`` under gunicorn with ``deploy/gunicorn.conf.py`` (the app's
  worker count), driven by the same locust as B2: req/s and p50/p99 with 16 users.

Standalone: ``.venv/bin/python bench/raw_limits.py`` prints the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    check_database_name,
    drop_database,
    free_port,
    percentile,
    pg_params,
    recreate_database,
)
from bench.harness import BenchContext, Figure, log  # noqa: E402

NAME = "raw"
PAYLOAD_BYTES = 512
WS_LISTENERS = 100
# 100 listeners x 100 events/s = 10,000 deliveries/s: well under the unpaced ceiling, so the
# latency is that of a fan-out that keeps up (B4's goal is 4,000 deliveries/s).
PACED_RATE = 100

INSERT_SQL = """\
\\set t random(1, 10000)
INSERT INTO message (ticket_id, provider_msg_id, body)
VALUES (:t, md5(random()::text || clock_timestamp()::text),
        'hello from customer, this is a typical short chat message body');
"""

SCHEMA_SQL = """
CREATE TABLE ticket (id bigserial PRIMARY KEY, last_message_at timestamptz, unread int DEFAULT 0);
INSERT INTO ticket (last_message_at) SELECT now() FROM generate_series(1, 10000);
CREATE TABLE message (
    id bigserial PRIMARY KEY,
    ticket_id bigint NOT NULL REFERENCES ticket (id),
    provider_msg_id text NOT NULL UNIQUE,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_ticket_created ON message (ticket_id, created_at DESC);
"""


def _log(message: str) -> None:
    log(NAME, message)


# ---------------------------------------------------------------- PostgreSQL


def _pgbench(args: list[str], database: str, *, parse: bool = True) -> dict[str, float]:
    params = pg_params()
    env = {**os.environ, "PGPASSWORD": params["password"] or ""}
    cmd = [
        "pgbench",
        "-h",
        str(params["host"]),
        "-p",
        str(params["port"]),
        "-U",
        str(params["user"]),
        *args,
        database,
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    if not parse:
        return {}
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
    if not tps or not latency:
        raise RuntimeError(f"unexpected pgbench output:\n{done.stdout}")
    return {"tps": float(tps.group(1)), "latency_ms": float(latency.group(1))}


def postgres_limits(database: str, seconds: int) -> list[Figure]:
    if shutil.which("pgbench") is None:
        return [
            Figure(
                id="L.pg_insert_tps_c1",
                name="PostgreSQL single-row INSERT, 1 client",
                value=None,
                unit="tx/s",
                note="pgbench not found (apt-get install postgresql-client)",
            )
        ]
    import psycopg

    check_database_name(database)
    facts = recreate_database(database)
    try:
        with psycopg.connect(dbname=database, autocommit=True, **pg_params()) as conn:
            conn.execute(SCHEMA_SQL)
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "insert.sql"
            script.write_text(INSERT_SQL, encoding="utf-8")
            runs = {}
            for clients in (1, 2):
                _log(f"pgbench INSERT, {clients} client(s), {seconds} s")
                runs[clients] = _pgbench(
                    [
                        "-n",
                        "-c",
                        str(clients),
                        "-j",
                        str(clients),
                        "-T",
                        str(seconds),
                        "-f",
                        str(script),
                    ],
                    database,
                )
        _log("pgbench -S (select one row by primary key), 1 client")
        _pgbench(["-i", "-s", "1", "-q"], database, parse=False)
        select = _pgbench(["-n", "-S", "-c", "1", "-j", "1", "-T", str(seconds)], database)
    finally:
        drop_database(database)
    server = f"PostgreSQL {facts.get('server_version', '?').split()[0]}, fsync {facts.get('fsync')}"
    return [
        Figure(
            id="L.pg_insert_tps_c1",
            name="PostgreSQL single-row INSERT (pgbench), 1 client",
            value=runs[1]["tps"],
            unit="tx/s",
            note=server,
        ),
        Figure(
            id="L.pg_insert_tps_c2",
            name="PostgreSQL single-row INSERT (pgbench), 2 clients",
            value=runs[2]["tps"],
            unit="tx/s",
        ),
        Figure(
            id="L.pg_insert_ms",
            name="PostgreSQL single-row INSERT latency, 1 client",
            value=runs[1]["latency_ms"],
            unit="ms",
        ),
        Figure(
            id="L.pg_select_ms",
            name="PostgreSQL select by primary key latency (pgbench -S), 1 client",
            value=select["latency_ms"],
            unit="ms",
        ),
    ]


# ---------------------------------------------------------------- Redis


def _redis_benchmark(host: str, port: int, clients: int, requests: int) -> dict[str, float]:
    cmd = [
        "redis-benchmark",
        "-h",
        host,
        "-p",
        str(port),
        "-c",
        str(clients),
        "-n",
        str(requests),
        "--csv",
        "publish",
        "tt-bench.raw-limits",
        "x" * PAYLOAD_BYTES,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    if not rows:
        raise RuntimeError(f"unexpected redis-benchmark output:\n{done.stdout}")
    row = rows[-1]
    return {"rps": float(row["rps"]), "p99_ms": float(row["p99_latency_ms"])}


def _redis_python_loop(url: str, requests: int) -> dict[str, float]:
    import redis

    client = redis.Redis.from_url(url)
    payload = b"x" * PAYLOAD_BYTES
    samples = []
    started = time.perf_counter()
    for _ in range(requests):
        t0 = time.perf_counter()
        client.publish("tt-bench.raw-limits", payload)
        samples.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    client.close()
    return {"rps": requests / elapsed, "p99_ms": percentile(samples, 99)}


def redis_limits(redis_url: str, requests: int) -> list[Figure]:
    target = urlparse(redis_url)
    host, port = target.hostname or "127.0.0.1", target.port or 6379
    if shutil.which("redis-benchmark"):
        _log(f"redis-benchmark PUBLISH, 2 clients, {requests} requests")
        result = _redis_benchmark(host, port, 2, requests)
        how = "redis-benchmark, 2 clients, 512-byte payload, no subscriber"
    else:
        _log(f"redis-benchmark missing: redis-py PUBLISH loop, {requests // 10} requests")
        result = _redis_python_loop(redis_url, requests // 10)
        how = "redis-py loop, 1 client (redis-benchmark not installed)"
    return [
        Figure(
            id="L.redis_publish_ops",
            name="Redis PUBLISH",
            value=result["rps"],
            unit="ops/s",
            note=how,
        ),
        Figure(
            id="L.redis_publish_p99_ms",
            name="Redis PUBLISH latency p99",
            value=result["p99_ms"],
            unit="ms",
        ),
    ]


# ---------------------------------------------------------------- websockets


async def _ws_serve(port: int, lifetime: float) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    listeners: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        path = ws.request.path if ws.request else ""
        if path == "/listen":
            listeners.add(ws)
            try:
                await ws.wait_closed()
            finally:
                listeners.discard(ws)
        else:  # the publisher: every frame goes to every listener
            async for frame in ws:
                broadcast(listeners, frame)

    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        await asyncio.sleep(lifetime)


def ws_server_main(port: int, lifetime: float) -> None:
    """Entry of the child process: serve for ``lifetime`` seconds, then stop by itself."""
    asyncio.run(_ws_serve(port, lifetime))


async def ws_fanout(
    url: str, *, listeners: int, events: int, rate: float | None, timeout: float
) -> dict[str, float]:
    """Publish ``events`` frames (paced at ``rate``/s, or as fast as possible) through the
    server at ``url`` to ``listeners`` connections; deliveries/s, latency and losses."""
    from websockets.asyncio.client import connect

    expected = events * listeners
    latencies: list[float] = []
    received = 0
    first_sent = 0.0
    last_received = 0.0
    all_in = asyncio.Event()

    async def listen(ws: Any) -> None:
        nonlocal received, last_received
        async for frame in ws:
            now = time.monotonic_ns()
            sent_ns = int(frame.split(":", 1)[0])
            latencies.append((now - sent_ns) / 1e6)
            received += 1
            last_received = now / 1e9
            if received >= expected:
                all_in.set()

    sockets = [
        await connect(f"{url}/listen", compression=None, max_queue=None) for _ in range(listeners)
    ]
    tasks = [asyncio.create_task(listen(ws)) for ws in sockets]
    publisher = await connect(f"{url}/publish", compression=None)
    await asyncio.sleep(0.2)  # every listener registered
    padding = "x" * 300
    first_sent = time.monotonic()
    for seq in range(events):
        if rate:
            due = first_sent + seq / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        await publisher.send(f"{time.monotonic_ns()}:{seq}:{padding}")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_in.wait(), timeout=timeout)
    for ws in [publisher, *sockets]:
        await ws.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = max(last_received - first_sent, 1e-9)
    return {
        "deliveries": received,
        "expected": expected,
        "lost": expected - received,
        "deliveries_per_s": received / elapsed,
        "p50_ms": percentile(latencies, 50) if latencies else float("nan"),
        "p99_ms": percentile(latencies, 99) if latencies else float("nan"),
    }


def websocket_limits(seconds: int) -> list[Figure]:
    try:
        import websockets  # noqa: F401
    except ImportError:
        return [
            Figure(
                id="L.ws_fanout_deliveries",
                name="Bare asyncio websocket fan-out",
                value=None,
                unit="deliveries/s",
                note="the websockets package is not installed",
            )
        ]
    port = free_port()
    lifetime = 30 + 3 * seconds
    server = subprocess.Popen(
        [sys.executable, __file__, "--ws-server", str(port), "--lifetime", str(lifetime)],
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        url = f"ws://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                import socket

                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        paced_events = PACED_RATE * seconds
        _log(
            f"websocket fan-out, {WS_LISTENERS} listeners, {paced_events} events at {PACED_RATE}/s"
        )
        paced = asyncio.run(
            ws_fanout(url, listeners=WS_LISTENERS, events=paced_events, rate=PACED_RATE, timeout=30)
        )
        burst_events = 1000 * seconds
        _log(f"websocket fan-out, {WS_LISTENERS} listeners, {burst_events} events, no pacing")
        burst = asyncio.run(
            ws_fanout(url, listeners=WS_LISTENERS, events=burst_events, rate=None, timeout=60)
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return [
        Figure(
            id="L.ws_fanout_deliveries",
            name=f"Bare asyncio websocket fan-out, {WS_LISTENERS} listeners, unpaced",
            value=burst["deliveries_per_s"],
            unit="deliveries/s",
            note=f"{burst['lost']:.0f} of {burst['expected']:.0f} not delivered; "
            f"p99 {burst['p99_ms']:.1f} ms",
        ),
        Figure(
            id="L.ws_fanout_p99_ms",
            name=f"Bare websocket fan-out latency p99, {WS_LISTENERS} listeners x "
            f"{PACED_RATE} events/s",
            value=paced["p99_ms"],
            unit="ms",
            note=f"p50 {paced['p50_ms']:.2f} ms; {paced['deliveries_per_s']:.0f} deliveries/s; "
            f"{paced['lost']:.0f} lost",
        ),
    ]


# ---------------------------------------------------------------- bare HTTP


def http_limits(work_dir: Path, seconds: int) -> list[Figure]:
    from bench.load import run_locust
    from bench.processes import bare_gunicorn

    process, url = bare_gunicorn(work_dir)
    runs = []
    try:
        # Best of two short runs: a limit is what the box can do, and other work on a shared
        # machine only ever lowers a single run.
        for attempt in (1, 2):
            _log(f"bare WSGI under gunicorn, locust 16 users, {seconds} s (run {attempt}/2)")
            runs.append(
                run_locust(
                    locustfile=ROOT / "bench" / "locustfile_bare.py",
                    host=url,
                    users=16,
                    seconds=seconds,
                    csv_prefix=work_dir / f"locust-bare-{attempt}",
                )["Aggregated"]
            )
    finally:
        process.stop()
    total = max(runs, key=lambda r: r.rps)
    note = (
        f"best of 2 runs ({', '.join(f'{r.rps:.0f}' for r in runs)} req/s); "
        f"{total.requests} requests, {total.failures} failures"
    )
    return [
        Figure(
            id="L.http_rps",
            name="Bare WSGI app, gunicorn + locust, 16 users",
            value=total.rps,
            unit="req/s",
            note=note,
        ),
        Figure(id="L.http_p50_ms", name="Bare WSGI app latency p50", value=total.p50_ms, unit="ms"),
        Figure(id="L.http_p99_ms", name="Bare WSGI app latency p99", value=total.p99_ms, unit="ms"),
    ]


# ---------------------------------------------------------------- entry points


def run(ctx: BenchContext) -> list[Figure]:
    seconds = max(2, min(5, int(3 * ctx.scale)))
    figures = [*postgres_limits(ctx.database("raw"), seconds)]
    figures += redis_limits(ctx.redis_url, int(100_000 * ctx.scale))
    figures += websocket_limits(seconds)
    figures += http_limits(Path(ctx.work_dir) / "raw", max(6, 2 * seconds))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure this machine's raw limits.")
    parser.add_argument("--ws-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--lifetime", type=float, default=60, help=argparse.SUPPRESS)
    parser.add_argument("--database-prefix", default="tiktickets_bench")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    )
    args = parser.parse_args(argv)
    if args.ws_server:
        ws_server_main(args.ws_server, args.lifetime)
        return 0
    with tempfile.TemporaryDirectory(prefix="tt-bench-") as tmp:
        ctx = BenchContext(
            run_id="standalone",
            commit="",
            database_prefix=args.database_prefix,
            redis_url=args.redis_url,
            work_dir=tmp,
            deadline=time.time() + 600,
        )
        for fig in run(ctx):
            value = "n/a" if fig.value is None else f"{fig.value:,.2f}"
            print(f"{fig.id:24} {value:>14} {fig.unit:13} {fig.name}  {fig.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
