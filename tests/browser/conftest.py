"""The real app in a real browser: daphne (HTTP + websockets) and a Celery worker as
subprocesses on the test database, Debian's chromium driven by Playwright, a customer's site on
another origin embedding the web chat widget.

The data the browser works with is committed (other processes must see it): tenant ``browser``
is provisioned once per test database with the project's own services. Every browser test
collects page errors and console errors of every page and frame and fails on any of them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from accounts.models import User
from channels_integrations.models import ChannelConnection
from channels_integrations.services.connections import connection_create
from tenants.models import Tenant
from tenants.services import tenant_provision
from tenants.tenancy import public_scope, tenant_scope
from tests.support.celery_worker import celery_worker_running, test_process_env
from tickets.models import Queue
from tickets.services.agents import agent_create
from tickets.services.queues import queue_create
from tickets.services.quick_replies import quick_reply_create

CHROMIUM = "/usr/bin/chromium"
SLUG = "browser"
PASSWORD = "Browser-Pass-2026"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
STARTUP_SECONDS = 30.0


def _in_browser_tests(item: pytest.Item) -> bool:
    return "tests/browser/" in str(item.fspath).replace(os.sep, "/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are marked ``browser`` and run last: their session-wide app processes and
    Playwright's event loop then never overlap the rest of the suite."""
    for item in items:
        if _in_browser_tests(item):
            item.add_marker(pytest.mark.browser)
            # pytest-django creates the test database only for the tests that ask for it; a
            # browser test reads committed rows (READ COMMITTED sees the app's commits).
            item.add_marker(pytest.mark.django_db)
    items.sort(key=_in_browser_tests)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium (Playwright may not download its own here); root needs --no-sandbox."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--no-sandbox"]}


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Playwright's sync API keeps an event loop running in this thread, which Django reads as
    "called from async code" and refuses ORM calls (the test database transaction included).
    Browser tests only touch the database between browser steps, never concurrently with that
    loop, so the check is lifted while a browser test runs, and only then."""
    if _in_browser_tests(item):
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    try:
        return (yield)  # the fixtures' teardown (the test transaction's rollback) runs here
    finally:
        if _in_browser_tests(item) and (nextitem is None or not _in_browser_tests(nextitem)):
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveApp:
    port: int
    site_origin: str
    widget: ChannelConnection
    tenant: Tenant
    emails: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return f"{SLUG}.{settings.TIKTICKETS_BASE_DOMAIN}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"


def _seed(site_origin: str) -> tuple[Tenant, ChannelConnection, dict[str, str]]:
    """Tenant ``browser`` (pt-BR): an admin; Ana (the tenant's language) and Carla (English)
    in queues Suporte and Pós-venda; Bruno only in Vendas; a shared quick reply; a web chat
    widget that the customer's site may embed, landing in Suporte. Idempotent per database."""
    with public_scope():
        tenant = Tenant.objects.filter(schema_name=SLUG).first()
    if tenant is None:
        tenant = tenant_provision(
            name="Loja Browser",
            slug=SLUG,
            admin_email="admin@browser.test",
            admin_password=PASSWORD,
            admin_name="Admin",
            max_users=20,
        ).tenant
    emails = {
        "admin": "admin@browser.test",
        "ana": "ana@browser.test",
        "carla": "carla@browser.test",
        "bruno": "bruno@browser.test",
    }
    with tenant_scope(tenant):
        admin = User.objects.get(email=emails["admin"])
        widget = ChannelConnection.objects.filter(provider="webchat").first()
        if widget is None:
            support = queue_create(by=admin, name="Suporte", color="#0b7a5c")
            after_sales = queue_create(by=admin, name="Pós-venda", color="#b54708")
            sales = queue_create(by=admin, name="Vendas", color="#175cd3")
            for who, name in (("ana", "Ana Atendente"), ("carla", "Carla Agent")):
                agent = agent_create(
                    by=admin,
                    email=emails[who],
                    name=name,
                    password=PASSWORD,
                    queue_ids=[support.pk, after_sales.pk],
                )
            User.objects.filter(pk=agent.pk).update(language="en")  # Carla reads English
            agent_create(
                by=admin,
                email=emails["bruno"],
                name="Bruno Vendas",
                password=PASSWORD,
                queue_ids=[sales.pk],
            )
            quick_reply_create(
                by=admin,
                shortcode="ola",
                body="{{greeting}}, {{contact.first_name}}! Aqui é {{agent.name}}.",
                shared=True,
            )
            widget = connection_create(
                by=admin,
                provider="webchat",
                name="Site",
                credentials={"allowed_origins": [site_origin], "title": "Fale com a Loja"},
                default_queue=Queue.objects.get(name="Suporte"),
            )
        else:  # a reused database: the site's port changed
            from channels_integrations.services.connections import connection_update

            connection_update(
                connection=widget,
                by=admin,
                credentials={"allowed_origins": [site_origin], "title": "Fale com a Loja"},
            )
    return tenant, widget, emails


class _SiteHandler(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.startswith("/favicon"):
            self.send_response(204)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: Any) -> None:
        return


def _wait_for_http(url: str, host: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"daphne exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 (http)
            with urllib.request.urlopen(request, timeout=1):  # noqa: S310 (loopback)
                return
        except Exception:  # noqa: BLE001 (not up yet)
            time.sleep(0.2)
    pytest.fail(f"daphne did not answer within {STARTUP_SECONDS} s")


@pytest.fixture(scope="session")
def live_app(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[LiveApp]:
    logs = tmp_path_factory.mktemp("live")
    port, site_port = _free_port(), _free_port()
    site_origin = f"http://127.0.0.1:{site_port}"
    with django_db_blocker.unblock():
        with public_scope():
            Tenant.objects.get_or_create(schema_name="public", defaults={"name": "Platform"})
        tenant, widget, emails = _seed(site_origin)
    app = LiveApp(port=port, site_origin=site_origin, widget=widget, tenant=tenant, emails=emails)

    class Handler(_SiteHandler):
        page = (
            "<!doctype html><html lang='pt-br'><head><meta charset='utf-8'>"
            "<title>Loja</title></head><body><h1>Loja de teste</h1>"
            f"<script src='{app.url}/widget/{widget.public_id}.js' async></script>"
            "</body></html>"
        ).encode()

    site = ThreadingHTTPServer(("127.0.0.1", site_port), Handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    daphne_log = logs / "daphne.log"
    with daphne_log.open("wb") as out:
        daphne = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "tiktickets.asgi:application",
            ],
            cwd=settings.BASE_DIR,
            env=test_process_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/accounts/login/", app.host, daphne, daphne_log)
        with celery_worker_running(logs / "worker.log"):
            yield app
    finally:
        site.shutdown()
        daphne.terminate()
        try:
            daphne.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daphne.kill()


class ConsoleErrors:
    """Page errors and console errors of every page (and its frames) of a test. A test that
    provokes an error status on purpose (a refused sign-in answers 400, which chromium logs as
    a console error) names it with ``expect_status`` first."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[str] = []

    def expect_status(self, status: int) -> None:
        self.expected.append(f"the server responded with a status of {status}")

    def _console(self, page: Any, message: Any) -> None:
        if message.type != "error":
            return
        for expected in self.expected:
            if expected in message.text:
                self.expected.remove(expected)
                return
        self.errors.append(f"{page.url}: {message.text}")

    def watch(self, page: Any) -> Any:
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda message: self._console(page, message))
        return page


@pytest.fixture
def console_errors() -> Iterator[ConsoleErrors]:
    collected = ConsoleErrors()
    yield collected
    assert collected.errors == [], "JavaScript errors in the browser:\n" + "\n".join(
        collected.errors
    )


def shot(page: Any, name: str) -> None:
    """A screenshot for people (test-artifacts/browser/<name>.png)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, app: LiveApp, who: str) -> None:
    page.goto(f"{app.url}/accounts/login/")
    page.fill("#id_email", app.emails[who])
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{app.url}/")
