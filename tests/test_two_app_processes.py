"""Nothing in an app process is machine-local: two daphne processes on different ports, sharing
only PostgreSQL, Redis and the object store (as two machines behind a load balancer would), are
interchangeable for every request.

- a session made on A is valid on B;
- failed sign-ins counted on A and on B add up to one lockout (rate limits live in Redis);
- a file uploaded through A is served by B (tenants' files on the S3-compatible store);
- a websocket on B receives the presence change that a socket on A caused (channel layer and
  presence in Redis).

The processes run the test settings against this session's test database and Redis database;
the users they sign in are committed rows of tenant ``alpha`` made here and removed afterwards.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from websockets.sync.client import ClientConnection, connect

from accounts.models import User
from accounts.tests.factories import PASSWORD, AdminFactory, UserFactory
from tenants.tenancy import tenant_scope
from tests.support.celery_worker import app_process_env
from tests.support.media_storage import store_get

STARTUP_SECONDS = 40.0
# The test database must exist (pytest-django sets up only the databases tests ask for); the
# tests themselves write nothing in the test process: the rows the processes see are committed
# by the module's fixture.
pytestmark = pytest.mark.django_db


@dataclass
class AppProcess:
    """One daphne process: where it listens and the Host it serves the tenant under."""

    name: str
    port: int
    host: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Client:
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Host": self.host, **(headers or {})},
            timeout=15,
            **kwargs,
        )

    def socket(self, token: str) -> ClientConnection:
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=15)
        return connect(f"ws://{self.host}/ws/?access_token={token}", sock=raw, open_timeout=15)

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


@dataclass
class TwoProcesses:
    a: AppProcess
    b: AppProcess
    admin: Any  # accounts.models.User rows (the factories' declared type is the factory)
    agent: Any
    users: list[Any]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(name: str, host_name: str, env: dict[str, str], logs: Path) -> AppProcess:
    port = _free_port()
    log = logs / f"daphne-{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603  (our own interpreter)
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
            + ["tiktickets.asgi:application"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return AppProcess(name, port, f"{host_name}:{port}", process, log)


def _wait(app: AppProcess) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            pytest.fail(f"daphne {app.name} exited:\n{app.log_tail()}")
        try:
            with app.client() as client:
                if client.get("/accounts/login/").status_code == 200:
                    return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"daphne {app.name} did not answer:\n{app.log_tail()}")


def _stop(app: AppProcess) -> None:
    if app.process.poll() is None:
        app.process.terminate()
        try:
            app.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app.process.kill()
            app.process.wait()


@pytest.fixture(scope="module")
def two_processes(
    tenants_provisioned, django_db_blocker, object_store, tmp_path_factory
) -> Iterator[TwoProcesses]:
    alpha = tenants_provisioned["alpha"]
    tag = uuid.uuid4().hex[:8]
    with django_db_blocker.unblock(), tenant_scope(alpha.tenant):
        admin = AdminFactory(email=f"scale-admin-{tag}@alpha.test", name="Scale Admin")
        agent = UserFactory(email=f"scale-agent-{tag}@alpha.test", name="Scale Agent")
        others = [UserFactory(email=f"scale-{n}-{tag}@alpha.test") for n in "xy"]
        users = [admin, agent, *others]
    env = {**app_process_env(), **object_store.environment(object_store.bucket_create())}
    logs = tmp_path_factory.mktemp("two-processes")
    a = _start("A", alpha.host, env, logs)
    b = _start("B", alpha.host, env, logs)
    try:
        _wait(a)
        _wait(b)
        yield TwoProcesses(a=a, b=b, admin=admin, agent=agent, users=users)
    finally:
        _stop(a)
        _stop(b)
        with django_db_blocker.unblock(), tenant_scope(alpha.tenant):
            User.objects.filter(pk__in=[user.pk for user in users]).delete()


def _token(app: AppProcess, email: str, password: str = PASSWORD) -> httpx.Response:
    with app.client() as client:
        return client.post("/api/v1/auth/token/", json={"email": email, "password": password})


def _access(app: AppProcess, user: User) -> str:
    answer = _token(app, user.email)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access"])


def test_a_session_made_on_one_process_is_valid_on_the_other(two_processes):
    a, b, agent = two_processes.a, two_processes.b, two_processes.agent
    with a.client() as browser_a:
        page = browser_a.get("/accounts/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert csrf is not None
        signed_in = browser_a.post(
            "/accounts/login/",
            data={"email": agent.email, "password": PASSWORD, "csrfmiddlewaretoken": csrf[1]},
        )
        assert signed_in.status_code == 302, signed_in.text
        session = browser_a.cookies["sessionid"]

    with b.client(cookies={"sessionid": session}) as browser_b:
        profile = browser_b.get("/accounts/profile/")
    with b.client() as stranger:
        anonymous = stranger.get("/accounts/profile/")

    assert profile.status_code == 200
    assert agent.email in profile.text
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous.headers["Location"]


def test_failed_sign_ins_on_both_processes_add_up_to_one_lockout(two_processes):
    a, b = two_processes.a, two_processes.b
    below, over = two_processes.users[2], two_processes.users[3]
    limit = settings.LOGIN_FAILURES_PER_EMAIL  # 5 by default

    for app in [a] * (limit // 2) + [b] * (limit - 1 - limit // 2):
        assert _token(app, below.email, "wrong-password").status_code in (400, 401)
    for app in [a] * (limit // 2) + [b] * (limit - limit // 2):
        assert _token(app, over.email, "wrong-password").status_code in (400, 401)

    # One failure short of the limit, across both: still allowed. At the limit: locked on both.
    assert _token(a, below.email).status_code == 200
    locked_a, locked_b = _token(a, over.email), _token(b, over.email)
    assert locked_a.status_code != 200
    assert locked_b.status_code != 200
    assert locked_a.json()["code"] == locked_b.json()["code"]


def test_a_file_uploaded_through_one_process_is_served_by_the_other(two_processes):
    a, b, agent = two_processes.a, two_processes.b, two_processes.agent
    content = b"%PDF-1.7 price list " + uuid.uuid4().hex.encode()
    with a.client(headers={"Authorization": f"Bearer {_access(a, agent)}"}) as api_a:
        created = api_a.post(
            "/api/v1/quick-replies/",
            data={"shortcode": f"prices-{uuid.uuid4().hex[:6]}", "body": "Our prices"},
            files={"media": ("prices.pdf", content, "application/pdf")},
        )
    assert created.status_code == 201, created.text
    media_url = created.json()["media_url"]

    with b.client(headers={"Authorization": f"Bearer {_access(b, agent)}"}) as api_b:
        served = api_b.get(media_url)

    assert served.status_code == 302  # B signs a link to the shared store
    fetched = store_get(served.headers["Location"])
    assert (fetched.status, fetched.body) == (200, content)
    assert fetched.headers["Content-Disposition"].startswith("attachment")


def _receive_until(sock: ClientConnection, wanted: str, deadline_seconds: float = 15) -> dict:
    deadline = time.monotonic() + deadline_seconds
    while (left := deadline - time.monotonic()) > 0:
        frame = json.loads(sock.recv(timeout=left))
        if frame.get("type") == wanted:
            return dict(frame)
    pytest.fail(f"no {wanted} frame within {deadline_seconds} s")


def test_a_socket_on_one_process_hears_what_happens_on_the_other(two_processes):
    a, b = two_processes.a, two_processes.b
    admin, agent = two_processes.admin, two_processes.agent

    with b.socket(_access(b, admin)) as admin_on_b:
        assert _receive_until(admin_on_b, "hello")["data"]["user"]["id"] == admin.pk
        with a.socket(_access(a, agent)) as agent_on_a:
            _receive_until(agent_on_a, "hello")
            changed = _receive_until(admin_on_b, "presence.changed")

    assert changed["data"]["user"]["id"] == agent.pk
    assert changed["data"]["user"]["status"] == "online"
