"""Bounded HTTP load on loopback with locust (headless, one process), and its per-endpoint stats.

``run_locust`` starts ``locust --headless`` as a child process for a fixed number of users and
seconds against a 127.0.0.1 URL, waits for it (bounded), and parses the CSV statistics locust
writes: request count, failures, req/s and the 50th/95th/99th percentiles per request name.

Locust rounds its percentiles to two significant digits above 100 ms (its histogram buckets),
which is precise enough for goals stated in tens of milliseconds.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class EndpointStats:
    """Locust's aggregate for one request name (``Aggregated`` for the whole run)."""

    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def _float(row: dict[str, str], key: str) -> float:
    value = (row.get(key) or "").strip()
    if value in ("", "N/A"):
        return float("nan")
    return float(value)


def parse_stats(path: Path) -> dict[str, EndpointStats]:
    stats: dict[str, EndpointStats] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"]
            stats[name] = EndpointStats(
                name=name,
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=_float(row, "Requests/s"),
                p50_ms=_float(row, "50%"),
                p95_ms=_float(row, "95%"),
                p99_ms=_float(row, "99%"),
                max_ms=_float(row, "Max Response Time"),
            )
    return stats


def run_locust(
    *,
    locustfile: Path,
    host: str,
    users: int,
    seconds: int,
    csv_prefix: Path,
    env: dict[str, str] | None = None,
    user_classes: list[str] | None = None,
    spawn_rate: float | None = None,
    warmup_seconds: int = 0,
) -> dict[str, EndpointStats]:
    """Run locust headless for ``seconds`` with ``users`` users.

    Users are spawned all at once unless ``spawn_rate`` (users per second) says otherwise. With
    ``warmup_seconds``, the run lasts that much longer and the statistics are reset once every
    user is spawned (locust's ``--reset-stats``), so the figures cover the steady state only;
    ``warmup_seconds`` must cover the spawning.
    """
    target = urlparse(host)
    if target.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"load goes to loopback only, not {host}")
    if not 1 <= users <= 500 or not 1 <= seconds <= 600 or not 0 <= warmup_seconds <= 120:
        raise ValueError("bounds: 1 <= users <= 500, 1 <= seconds <= 600, warm-up <= 120 s")
    rate = float(users) if spawn_rate is None else spawn_rate
    if warmup_seconds and users / rate > warmup_seconds:
        raise ValueError(f"spawning {users} users at {rate:g}/s outlasts {warmup_seconds} s")
    cmd = [
        str(BIN / "locust"),
        "-f",
        str(locustfile),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        f"{rate:g}",
        "--run-time",
        f"{seconds + warmup_seconds}s",
        *(["--reset-stats"] if warmup_seconds else []),
        "--stop-timeout",
        "2",
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        *(user_classes or []),
    ]
    done = subprocess.run(
        cmd,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=seconds + warmup_seconds + 60,
        check=False,
    )
    stats_path = Path(f"{csv_prefix}_stats.csv")
    if done.returncode != 0 or not stats_path.exists():
        raise RuntimeError(
            f"locust exited with {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return parse_stats(stats_path)
