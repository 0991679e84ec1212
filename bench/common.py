"""Helpers shared by the bench scripts: statistics, timed subprocesses, run metadata, JSON output.

Nothing here imports Django, so a script can set its environment before ``django.setup()``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"


# ---------------------------------------------------------------- statistics


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default): p0 = min, p100 = max.

    With few samples p95 lies between the two largest values, so it is close to the maximum.
    """
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values: list[float]) -> dict[str, float | int]:
    """n, median, p95, min, max and mean of a sample, in the sample's unit."""
    return {
        "n": len(values),
        "median": percentile(values, 50),
        "p95": percentile(values, 95),
        "min": min(values),
        "max": max(values),
        "mean": sum(values) / len(values),
    }


# ---------------------------------------------------------------- timed subprocesses


@dataclass(frozen=True)
class TimedRun:
    """One finished child process: wall seconds, peak RSS of its largest process, output."""

    wall_s: float
    max_rss_mib: float
    returncode: int
    stdout: str
    stderr: str

    def check(self, what: str) -> TimedRun:
        if self.returncode != 0:
            raise RuntimeError(
                f"{what} exited with {self.returncode}\n--- stdout\n{self.stdout[-4000:]}"
                f"\n--- stderr\n{self.stderr[-4000:]}"
            )
        return self


def run_timed(cmd: list[str], *, env: dict[str, str], cwd: Path = ROOT) -> TimedRun:
    """Run ``cmd`` to completion and time it from spawn to exit.

    The child is reaped with ``os.wait4`` so its resource usage is its own; on Linux its
    ``ru_maxrss`` is the peak RSS of the largest process among the child and the descendants it
    waited for (e.g. multiprocessing workers), not a sum.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: tell Popen
        out.seek(0)
        err.seek(0)
        return TimedRun(
            wall_s=wall,
            max_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
            returncode=proc.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


# ---------------------------------------------------------------- run metadata


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def git_info() -> dict[str, Any]:
    """Commit under test; ``dirty`` means the working tree differs from it."""
    return {
        "commit": _git("rev-parse", "--short", "HEAD") or "nogit",
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def machine_info() -> dict[str, Any]:
    """CPU count, OS, Python and the load average when the run started (shared-machine noise)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    try:
        load = list(os.getloadavg())
    except OSError:
        load = []
    return {
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "loadavg_at_start": [round(x, 2) for x in load],
    }


def utc_now() -> datetime:
    return datetime.now(UTC)


def _rounded(value: Any, digits: int = 4) -> Any:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v, digits) for v in value]
    return value


def write_result(name: str, payload: dict[str, Any], *, commit: str) -> Path:
    """Write ``bench/results/<name>-<UTC date>-<commit>.json`` (atomically, via a .tmp file).

    A second run on the same day and commit replaces the file. Floats are rounded to 4 digits.
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{utc_now():%Y-%m-%d}-{commit}.json"
    tmp = path.with_suffix(".json.tmp")
    text = json.dumps(_rounded(payload), indent=2, sort_keys=False)
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def write_run_result(
    name: str, payload: dict[str, Any], *, git: dict[str, Any] | None = None
) -> Path:
    """``write_result`` with what every run records first: the commit under test (``git``, or
    read now) and the machine."""
    git = git or git_info()
    return write_result(
        name,
        {"git": git, "machine": machine_info(), **payload},
        commit=str(git.get("commit", "unknown")),
    )


# ---------------------------------------------------------------- printing


def wsgi_environ(
    method: str,
    path: str,
    *,
    host: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: str = "",
) -> dict[str, Any]:
    """The WSGI environ of one request as gunicorn hands it to the application behind nginx
    (``X-Forwarded-Proto: https``); ``headers`` as ``HTTP_*`` keys."""
    import io

    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": host,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "HTTP_X_FORWARDED_PROTO": "https",
        **(headers or {}),
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def table(rows: list[list[str]], *, header: list[str]) -> str:
    """A plain fixed-width table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        parts = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def secs(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


# ---------------------------------------------------------------- the bench's own database


def pg_params() -> dict[str, Any]:
    return {
        "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "port": int(os.environ.get("POSTGRES_PORT", "5432")),
        "user": os.environ.get("POSTGRES_USER", "postgres"),
        "password": os.environ.get("POSTGRES_PASSWORD") or None,
        "connect_timeout": 5,
    }


def check_database_name(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name) or "bench" not in name:
        raise SystemExit(
            f"Refusing database name {name!r}: use lower-case letters, digits and underscores, "
            "and include 'bench' so that no shared database can be dropped by mistake."
        )
    return name


def admin_connect() -> psycopg.Connection[Any]:
    """A connection to the maintenance database ``postgres``, for CREATE/DROP DATABASE."""
    return psycopg.connect(dbname="postgres", autocommit=True, **pg_params())


def recreate_database(name: str) -> dict[str, str]:
    """Drop and create ``name``; return server facts for the report."""
    with admin_connect() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        facts = {}
        for setting in ("server_version", "fsync", "synchronous_commit", "shared_buffers"):
            row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(setting))).fetchone()
            facts[setting] = str(row[0]) if row else ""
    return facts


def drop_database(name: str) -> None:
    with admin_connect() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# ---------------------------------------------------------------- loopback ports


def free_port(low: int = 20000, high: int = 29999) -> int:
    """A free TCP port on 127.0.0.1 below the kernel's ephemeral range (an
    outgoing connection may hold any port from 32768 up, so a server must not pick one)."""
    import random
    import socket

    candidates = list(range(low, high + 1))
    random.shuffle(candidates)
    for port in candidates[:200]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")
