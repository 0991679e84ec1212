"""What the channel benchmarks (B1/B7, B5, B8, B10, B11) share around their measurement.

Each of ``bench/ingest.py``, ``bench/campaigns.py``, ``bench/bot.py``, ``bench/qr_gateway.py``
and ``bench/email_ingest.py`` seeds a tenant in a bench database of its own, starts the
docker-compose process topology on loopback (``bench/processes.py``), often against the provider
simulator, drives load, waits for the pipeline to drain and reconciles what was stored with what
was sent. This module holds the parts that were the same in each:

- ``app_keys``: the credential-encryption and JWT signing keys the bench process and the app
  processes share;
- ``simulator_running``: the provider simulator for a ``with`` block;
- ``app_processes``: ``AppProcesses`` started with those keys, its start-up time logged;
- ``wait_until``: the poll-until-done-or-timeout loop of the drains;
- ``latencies`` and ``reconciliation``: p50/p99 of a sample and lost / doubled counts;
- ``standalone_main``: the command line of a module run on its own (its options plus
  ``--database`` and ``--redis-url``, the run, its report and its results file).

Nothing here imports Django at import time.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bench.common import percentile, write_run_result

if TYPE_CHECKING:
    from bench.processes import AppProcesses
    from simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def module_logger(prefix: str) -> Callable[[str], None]:
    """``log(message)`` printing ``[prefix] message`` to standard error."""

    def log(message: str) -> None:
        print(f"[{prefix}] {message}", file=sys.stderr, flush=True)

    return log


def app_keys() -> dict[str, str]:
    """Fresh ``CREDENTIALS_ENCRYPTION_KEY`` and ``JWT_SIGNING_KEY``, set in this process's
    environment too (Django reads them at set-up): connections seeded here must decrypt in the
    app processes, and tokens minted here must verify there."""
    from cryptography.fernet import Fernet

    keys = {
        "CREDENTIALS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
    }
    os.environ.update(keys)
    return keys


@contextmanager
def simulator_running(sim: Simulator) -> Iterator[Simulator]:
    """``sim`` started for the ``with`` block and stopped after it."""
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@contextmanager
def app_processes(
    *,
    database: str,
    redis_url: str,
    work: Path,
    env: dict[str, str],
    log: Callable[[str], None],
    websockets: bool = True,
) -> Iterator[AppProcesses]:
    """gunicorn, the Celery workers and (with ``websockets``) daphne against ``database`` and
    ``redis_url`` for the ``with`` block (``bench/processes.py``), with ``env`` added to the
    production environment; logs how long they took to answer."""
    from bench.processes import AppProcesses

    with AppProcesses(
        database=database, redis_url=redis_url, work_dir=work, env=env, websockets=websockets
    ) as app:
        log(f"processes up in {app.startup_s:.1f} s")
        yield app


def wait_until(
    read: Callable[[], T], done: Callable[[T], bool], *, timeout: float, every: float = 0.2
) -> T:
    """Call ``read`` every ``every`` seconds until ``done`` of its value holds or ``timeout``
    seconds have passed; the last value read (so a drain that never finished still counts)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(every)
        value = read()
    return value


def latencies(values: list[float]) -> dict[str, float | None]:
    """``p50_ms`` and ``p99_ms`` of a sample in milliseconds (``None`` for an empty one)."""
    return {
        "p50_ms": percentile(values, 50) if values else None,
        "p99_ms": percentile(values, 99) if values else None,
    }


def reconciliation(*, expected: int, stored: int, unique: int) -> dict[str, int]:
    """What the pipeline lost (expected but never stored) and doubled (stored more than once),
    from the count expected, the rows stored and the distinct provider ids among them."""
    return {"lost": expected - unique, "doubled": stored - unique}


def dash(value: float | None, digits: int = 0) -> str:
    """A number for a report line, ``-`` when it was not measured."""
    return "-" if value is None else f"{value:.{digits}f}"


def standalone_main(
    *,
    name: str,
    doc: str,
    database: str,
    redis_url: str,
    options: Callable[[argparse.ArgumentParser], None],
    measure: Callable[[argparse.Namespace, Path], dict[str, Any]],
    report: Callable[[dict[str, Any]], None],
    fresh_work: bool = False,
) -> int:
    """A benchmark module run on its own: ``doc``'s first line as its description, its
    ``options`` plus ``--database`` and ``--redis-url`` (defaults ``database`` and
    ``redis_url``), then ``measure(args, work)`` with the app processes' logs in
    ``/tmp/tiktickets-bench-<name>`` (a new temporary directory with ``fresh_work``), its
    report, and the result written to ``bench/results/<name>-<date>-<commit>.json``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    options(parser)
    parser.add_argument("--database", default=database)
    parser.add_argument("--redis-url", default=redis_url)
    args = parser.parse_args()
    if fresh_work:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as work:
            result = measure(args, Path(work))
    else:
        result = measure(args, Path(tempfile.gettempdir()) / f"tiktickets-bench-{name}")
    report(result)
    path = write_run_result(name, result)
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0
