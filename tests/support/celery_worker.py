"""A real Celery worker in a subprocess, bound to the test database and the test Redis database.

The worker is an ordinary ``celery -A tiktickets worker`` with the test settings; its database
name is the one pytest-django created (``test_`` + ``POSTGRES_DB``), so it sees every row that is
*committed* there (the tenants provisioned once per session), never a test's open transaction.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tiktickets.celery import app as celery_app

WORKER_QUEUES = "inbound,replies,default,bulk"
STARTUP_TIMEOUT_SECONDS = 20.0
SHUTDOWN_TIMEOUT_SECONDS = 10.0


def _log_tail(log_path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no worker log)"


def _wait_until_it_answers(process: subprocess.Popen[bytes], nodename: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"The Celery worker exited with {process.returncode}:\n{_log_tail(log_path)}"
            )
        if celery_app.control.ping(destination=[nodename], timeout=0.5):
            return
    pytest.fail(
        f"The Celery worker did not answer a ping within {STARTUP_TIMEOUT_SECONDS:.0f} s:\n"
        f"{_log_tail(log_path)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # SIGTERM: warm shutdown, the solo pool finishes its current task
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def app_process_env() -> dict[str, str]:
    """The environment of an app process (worker, server) bound to this session's test database
    and Redis database. Call it after ``django_db_setup``: only then does the connection name the
    test database."""
    # The browser tests lift Django's async-safety check in the test process only
    # (tests/browser/conftest.py); a server or worker keeps it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "tiktickets.settings.test",
        # After django_db_setup the connection points at the test database.
        "POSTGRES_DB": connection.settings_dict["NAME"],
        "TEST_REDIS_URL": settings.REDIS_URL,
        # Celery prefers this variable over the settings; pin it to what this process uses.
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
    }


@contextmanager
def celery_worker_running(log_path: Path) -> Iterator[str]:
    """Run a worker on every queue (plus the probe task) while the block runs; yields its node
    name. The worker's output goes to ``log_path``."""
    nodename = f"tt-test-{os.getpid()}-{uuid.uuid4().hex[:6]}@localhost"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "tiktickets",
        "worker",
        "-Q",
        WORKER_QUEUES,
        "-P",
        "solo",
        "--without-gossip",
        "--without-mingle",
        "-l",
        "warning",
        "-n",
        nodename,
        "-I",
        "tests.support.probe_tasks",
    ]
    # Tests without a worker leave the tasks their commits published in the test Redis; a
    # worker started behind that backlog would run hundreds of stale tasks (of tenants and rows
    # long rolled back) before the ones its tests wait for.
    celery_app.control.purge()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=app_process_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_it_answers(process, nodename, log_path)
        yield nodename
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup, tmp_path_factory) -> Iterator[str]:
    """Start a worker on every queue (plus the probe task) and yield its node name.

    Module-scoped on purpose: it is stopped when the module ends, so tests elsewhere that check
    behaviour *without* a worker (``/healthz`` answering 503) never see a leftover one.
    """
    with celery_worker_running(tmp_path_factory.mktemp("celery") / "worker.log") as nodename:
        yield nodename
