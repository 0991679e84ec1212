"""The gunicorn worker model (deploy/gunicorn.conf.py), through a real gunicorn.

Sync workers are the default: one request per connection ("Connection: close"), every worker
warmed before its first request, and free for the next one as soon as the response to a request
read to its end is sent (tiktickets/gunicorn_workers.py). ``GUNICORN_WORKER_CLASS=gthread``
(with ``GUNICORN_THREADS`` and ``GUNICORN_KEEPALIVE``) selects threaded workers that keep a
connection for the next request; their requests run on the pool's threads, each with its own
database connection, after the same warm-up. docs/performance.md ("The gunicorn worker model")
has the measurements behind the default.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.celery_worker import app_process_env

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "deploy" / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).parent / "gunicorn"
STARTUP_TIMEOUT_SECONDS = 120.0
pytestmark = pytest.mark.django_db


def _load_conf(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in list(os.environ):
        if name.startswith("GUNICORN_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_probe", CONF)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_workers_are_replaced_rarely_and_apart(monkeypatch):
    # A replacement costs a worker's start and warm-up (1.0-1.7 s of CPU): workers live for
    # thousands of requests, and the jitter (half the lifetime) keeps workers started together
    # from being replaced together.
    default = _load_conf({}, monkeypatch)
    assert default.max_requests >= 5000
    assert default.max_requests_jitter >= default.max_requests // 2
    tuned = _load_conf(
        {"GUNICORN_MAX_REQUESTS": "800", "GUNICORN_MAX_REQUESTS_JITTER": "40"}, monkeypatch
    )
    assert (tuned.max_requests, tuned.max_requests_jitter) == (800, 40)


def test_sync_workers_are_the_default_and_the_environment_selects_threads(monkeypatch):
    default = _load_conf({}, monkeypatch)
    assert (default.worker_class, default.threads) == ("tiktickets.gunicorn_workers.SyncWorker", 1)
    assert _load_conf({"GUNICORN_WORKER_CLASS": "sync"}, monkeypatch).worker_class == "sync"

    threaded = _load_conf(
        {
            "GUNICORN_WORKER_CLASS": "gthread",
            "GUNICORN_WORKERS": "3",
            "GUNICORN_THREADS": "4",
            "GUNICORN_KEEPALIVE": "75",
        },
        monkeypatch,
    )
    assert (threaded.worker_class, threaded.workers, threaded.threads, threaded.keepalive) == (
        "gthread",
        3,
        4,
        75,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _gunicorn(tmp_path: Path, workers: int, **env: str) -> Iterator[tuple[int, Path]]:
    """gunicorn with the project's config and the WSGI app on the test database, once each of its
    ``workers`` logged its warm-up; yields (port, log path)."""
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    environment = {
        **app_process_env(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        **env,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "--config", str(CONF), "tiktickets.wsgi:application"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while log_path.read_text(errors="replace").count("worker warmed up") < workers:
            assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        yield port, log_path
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _health(client: http.client.HTTPConnection) -> tuple[http.client.HTTPResponse, dict]:
    client.request("GET", "/healthz", headers={"Host": "localhost"})
    response = client.getresponse()
    body = json.loads(response.read())
    return response, body


def test_sync_workers_answer_one_request_per_connection_after_their_warm_up(tmp_path):
    # given: the default config, two workers, both warmed before accepting anything
    with _gunicorn(tmp_path, workers=2) as (port, log_path):
        assert "Using worker: tiktickets.gunicorn_workers.SyncWorker" in log_path.read_text()
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            # when: a request on a fresh connection
            response, body = _health(client)
            # then: it is served (with the database), and the connection is closed after it
            assert body["checks"]["database"]["ok"] is True
            assert response.getheader("Connection") == "close"
            assert client.sock is None
        finally:
            client.close()


def test_threaded_workers_keep_the_connection_and_use_a_database_connection_per_thread(tmp_path):
    # given: gthread chosen from the environment, two workers of two threads, both warmed
    with _gunicorn(
        tmp_path,
        workers=2,
        GUNICORN_WORKER_CLASS="gthread",
        GUNICORN_THREADS="2",
        GUNICORN_KEEPALIVE="30",
    ) as (port, log_path):
        assert "Using worker: gthread" in log_path.read_text()
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            # when: two requests, one after the other
            first, first_body = _health(client)
            kept = client.sock
            second, second_body = _health(client)
            # then: the second used the first's connection, still open afterwards
            assert first.getheader("Connection") != "close"
            assert kept is not None
            assert client.sock is kept
            assert second.getheader("Connection") != "close"
            # and both read the database from a pool thread
            assert first_body["checks"]["database"]["ok"] is True
            assert second_body["checks"]["database"]["ok"] is True
        finally:
            client.close()


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it half-closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _framed_whole(head: bytes, page: bytes) -> bool:
    """Whether ``page`` is all the body ``head`` announces: its Content-Length, or a chunked
    body down to its last (empty) chunk."""
    fields = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line)
    if fields.get(b"transfer-encoding") == b"chunked":
        return page.endswith(b"\r\n0\r\n\r\n")
    return int(fields[b"content-length"]) == len(page) > 0


def test_a_sync_worker_serves_the_next_request_while_the_last_client_keeps_its_connection(
    tmp_path,
):
    # given: one sync worker, and a client that read its whole answer but never closes
    with _gunicorn(tmp_path, workers=1) as (port, _log_path):
        lingering = socket.create_connection(("127.0.0.1", port), timeout=30)
        try:
            lingering.sendall(b"GET /no-such-page/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
            first = _answer(lingering)  # the server's FIN ends it; ours is not sent
            # when: another client asks meanwhile
            started = time.monotonic()
            other = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            other.request("GET", "/no-such-page/", headers={"Host": "localhost"})
            second = other.getresponse()
            second.read()
            waited = time.monotonic() - started
            other.close()
            # then: the worker did not wait for the first client's FIN (gunicorn's worker
            # waits up to 2 s for it)
            assert first.startswith(b"HTTP/1.1 404")
            assert second.status == 404
            assert waited < 1.0, f"the second request waited {waited:.2f} s"

            # and: a body the application never read is still drained before the close, so
            # the client gets the whole answer, not a reset
            unread = socket.create_connection(("127.0.0.1", port), timeout=30)
            body = b"x" * 32768
            unread.sendall(
                b"POST /no-such-page/ HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body
            )
            answer = _answer(unread)
            unread.close()
            assert answer.startswith(b"HTTP/1.1 404")
            # the same page as the first 404's, whole by its own framing
            head, _, page = answer.partition(b"\r\n\r\n")
            assert page == first.partition(b"\r\n\r\n")[2]
            assert _framed_whole(head, page), head
        finally:
            lingering.close()
