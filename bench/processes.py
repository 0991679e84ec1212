"""Production-like app processes on loopback: gunicorn (HTTP), daphne (websockets), Celery.

The same topology as docker-compose.yml (``web``, ``websockets``, ``worker``, ``worker-replies``),
with the production settings, started from this checkout against a bench database and a bench
Redis database, bound to 127.0.0.1 ports below the ephemeral range. No nginx: load generators
send the headers nginx adds (``X-Forwarded-Proto: https``), so ``SECURE_SSL_REDIRECT`` behaves
as behind the proxy.

Usage::

    with AppProcesses(database="tiktickets_bench_inbox", redis_url=..., work_dir=...) as app:
        app.http_url      # http://127.0.0.1:<port>, gunicorn with deploy/gunicorn.conf.py
        app.ws_url        # ws://127.0.0.1:<port>, daphne with tiktickets.asgi
        app.ws_urls       # every daphne's, with ``daphnes=K`` (docker-compose's replicas)
        ...

Every process is started in a session of its own and stopped by its PID (SIGTERM to its process
group, then SIGKILL after a grace period), so the workers it forked go with it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from cryptography.fernet import Fernet

from bench.common import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


class ManagedProcess:
    """A child process in its own session with its output in a log file."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.cmd = cmd
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 15.0) -> int | None:
        """SIGTERM the process group this child leads, then SIGKILL it after ``grace`` s."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        else:  # the leader is gone; its forked workers may not be
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()
        return self.proc.returncode


def http_get(url: str, *, headers: dict[str, str] | None = None, timeout: float = 5.0) -> int:
    """The status code of a GET (any HTTP status; 0 when nothing answered)."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback URLs
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0


def wait_for_status(
    url: str, processes: list[ManagedProcess], *, expect: int = 200, timeout: float = 60.0
) -> float:
    """Poll ``url`` until it answers ``expect``; seconds waited. Fails when a process died."""
    started = time.monotonic()
    last = 0
    while time.monotonic() - started < timeout:
        for process in processes:
            if not process.alive():
                raise RuntimeError(
                    f"{process.name} exited with {process.proc.returncode}:\n{process.log_tail()}"
                )
        last = http_get(url, timeout=2.0)
        if last == expect:
            return time.monotonic() - started
        time.sleep(0.25)
    tails = "\n".join(f"--- {p.name}\n{p.log_tail()}" for p in processes)
    raise RuntimeError(f"{url} answered {last}, not {expect}, within {timeout:.0f} s\n{tails}")


def app_environment(
    *, database: str, redis_url: str, work_dir: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of docker-compose's app services, pointed at loopback bench services."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tiktickets.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "TIKTICKETS_BASE_DOMAIN": "localhost",
        "POSTGRES_DB": database,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "MEDIA_ROOT": str(work_dir / "media"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        # Required by the production settings; a module that stores credentials itself passes
        # the key it encrypted them with in ``extra``.
        "CREDENTIALS_ENCRYPTION_KEY": os.environ.get("CREDENTIALS_ENCRYPTION_KEY")
        or Fernet.generate_key().decode(),
    }
    env.update(extra or {})
    return env


# (name, queues, concurrency) of the Celery workers, as docker-compose.yml runs them: ``worker``
# for inbound work only, ``worker-default`` for the default queue (an inbound batch's follow-ups:
# with one shared pool, an inbound task waited behind them for a free process,
# docs/performance.md "Inbound latency"), ``worker-replies`` for agents' replies only, so a reply
# never waits behind a burst of inbound webhooks (B7 at 20/s measured 2.6 s p50 while B1's
# webhooks filled the one shared pool). A send mostly waits on the provider's HTTP answer, so the
# replies worker runs 4 processes: with 1, B7 topped out at 8.9 sends/s (p99 10 s at 20/s
# offered).
CELERY_WORKERS = (
    ("celery", "inbound", "2"),
    ("celery-default", "default", "1"),
    ("celery-replies", "replies", "4"),
)
# Environment of each worker beyond the app's: the inbound and default workers run below the web
# processes' CPU priority, as docker-compose.yml runs them (a backlog slows processing, never the
# acks).
CELERY_WORKER_ENV = {
    "celery": {"CELERY_WORKER_NICE": "10"},
    "celery-default": {"CELERY_WORKER_NICE": "10"},
}


# The daphne processes' environment beyond the app's: a pool, no persistent connections under
# ASGI (docker-compose.yml, `websockets`).
DAPHNE_ENV = {"POSTGRES_POOL_SIZE": "4"}


def daphne_command(port: int, *, proxy_headers: bool = False) -> list[str]:
    """daphne serving the ASGI app on a loopback port, as docker-compose.yml runs it."""
    return [
        str(BIN / "daphne"),
        "--bind=127.0.0.1",
        f"--port={port}",
        *(["--proxy-headers"] if proxy_headers else []),
        "tiktickets.asgi:application",
    ]


def celery_worker_command(name: str, queues: str, concurrency: str) -> list[str]:
    """A Celery worker as docker-compose.yml runs it, serving ``queues``."""
    return [
        str(BIN / "celery"),
        "--app=tiktickets",
        "worker",
        f"--hostname=bench-{name}-{os.getpid()}@%h",
        f"--queues={queues}",
        f"--concurrency={concurrency}",
        "--max-tasks-per-child=500",
        "-O",
        "fair",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=WARNING",
    ]


class AppProcesses:
    """gunicorn + daphne + the Celery workers (inbound/default, replies), as docker-compose runs
    them (see module doc)."""

    def __init__(
        self,
        *,
        database: str,
        redis_url: str,
        work_dir: Path,
        celery: bool = True,
        websockets: bool = True,
        env: dict[str, str] | None = None,
        daphnes: int = 1,
    ) -> None:
        self.work_dir = work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
        self.env = app_environment(
            database=database, redis_url=redis_url, work_dir=work_dir, extra=env
        )
        self.http_port = free_port()
        # One port per daphne process (websocket replicas behind nginx in docker-compose.yml).
        self.ws_ports = [free_port() for _ in range(max(1, daphnes))]
        self.ws_port = self.ws_ports[0]
        self.with_celery = celery
        self.with_websockets = websockets
        self.processes: list[ManagedProcess] = []
        self.startup_s: float | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    @property
    def ws_urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{port}" for port in self.ws_ports]

    def _start(self, name: str, cmd: list[str], env: dict[str, str]) -> ManagedProcess:
        process = ManagedProcess(name, cmd, env, self.work_dir / f"{name}.log")
        self.processes.append(process)
        return process

    def start(self) -> AppProcesses:
        started = time.monotonic()
        web_env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.http_port}"}
        self._start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "--config",
                "deploy/gunicorn.conf.py",
                "tiktickets.wsgi:application",
            ],
            web_env,
        )
        if self.with_websockets:
            for n, port in enumerate(self.ws_ports):
                name = "daphne" if n == 0 else f"daphne-{n + 1}"
                self._start(name, daphne_command(port), {**self.env, **DAPHNE_ENV})
        if self.with_celery:
            for name, queues, concurrency in CELERY_WORKERS:
                self._start(
                    name,
                    celery_worker_command(name, queues, concurrency),
                    {**self.env, **CELERY_WORKER_ENV.get(name, {})},
                )
        try:
            # /healthz is 200 only when PostgreSQL, Redis and a worker answer.
            expect = 200 if self.with_celery else 503
            wait_for_status(f"{self.http_url}/healthz", self.processes, expect=expect)
            for ws_url in self.ws_urls if self.with_websockets else []:
                wait_for_status(
                    f"{ws_url.replace('ws:', 'http:')}/healthz", self.processes, expect=expect
                )
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - started
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def __enter__(self) -> AppProcesses:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def bare_gunicorn(work_dir: Path) -> tuple[ManagedProcess, str]:
    """gunicorn with the app's config serving ``bench/bare_wsgi.py``; (process, base URL)."""
    port = free_port()
    env: dict[str, Any] = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    work_dir.mkdir(parents=True, exist_ok=True)
    process = ManagedProcess(
        "gunicorn-bare",
        [
            str(BIN / "gunicorn"),
            "--config",
            "deploy/gunicorn.conf.py",
            # The app's access log writes one line a request; keep the same cost here.
            "bench.bare_wsgi:application",
        ],
        env,
        work_dir / "gunicorn-bare.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_status(f"{url}/", [process], expect=200, timeout=30)
    except BaseException:
        process.stop()
        raise
    return process, url
