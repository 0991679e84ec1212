"""The real app in a real browser: Debian's chromium, driven by Playwright, against daphne
(HTTP + websockets) and a Celery worker running as subprocesses on the pytest-django test
database, and a customer's site on another origin that embeds the web chat widget.

What the browser works with has to be *committed* (the server processes cannot see a test's
transaction): tenant ``browser`` is provisioned once per session with the project's services and
dropped at the end. The tests themselves never touch the ORM; they act and look only through the
browser, as a person would.

Every page of every test is watched: uncaught page errors, console errors (the widget's frame
included) and HTTP answers of 400 or more fail the test at its end, unless the test announced
that exact answer beforehand (a refused sign-in is a 400 on purpose).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import override_settings
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, expect

from accounts.models import User
from channels_integrations.services.connections import connection_create
from contacts.services.tags import tag_create
from simulator import Simulator
from tenants.models import Tenant
from tenants.services import tenant_domain_for, tenant_provision, tenant_public_ensure
from tenants.tenancy import public_scope, tenant_scope
from tests.support.celery_worker import app_process_env, celery_worker_running
from tickets.models import Queue
from tickets.services.agents import agent_create, agent_update
from tickets.services.queues import queue_create
from tickets.services.quick_replies import quick_reply_create

# Debian's chromium; without it, the one `make chromium` had Playwright install.
CHROMIUM = Path("/usr/bin/chromium")
SLUG = "browser"
PASSWORD = "Navegador-2026-ok"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
STARTUP_SECONDS = 30.0
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
# Assertions wait as long as actions do (``set_default_timeout`` below): Playwright's own 5 s
# is short for a page answered by processes sharing two slow cores with the suite.
expect.set_options(timeout=10_000)
# What the customer's site, the widget and the quick reply say; the tests look for these.
WIDGET_TITLE = "Fale com a Loja"
FAREWELL = "Obrigado pelo contato!"
QUICK_REPLY_SHORTCUT = "ola"
QUICK_REPLY_BODY = "{{greeting}}, {{contact.first_name}}! Aqui é {{agent.name}}."
TAG = "Cliente VIP"
# The simulated WhatsApp QR gateway: its global key, and how often it offers a new QR code.
EVOLUTION_KEY = "browser-evolution-key"
QR_INTERVAL_SECONDS = 3.0


# ---------------------------------------------------------------------------- collection


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last, after every other plugin ordered the items (pytest-django groups
    tests by database use): their app processes and Playwright's event loop (which lives in the
    main thread from the first browser test on) then never overlap the rest of the suite."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Lift Django's async-safety check in this process while a browser test runs, and only then.

    Playwright's sync API keeps an asyncio loop running in the main thread (in a greenlet) from
    the first browser on. Django then takes every ORM call of this thread for "called from async
    code" and refuses it, pytest-django's own per-test transaction included. The browser tests
    never use the ORM while the browser acts (they look only through the page), so the check
    has nothing to protect here. The server processes never inherit the variable
    (``app_process_env`` drops it): daphne and the worker keep their checks.
    """
    if item.get_closest_marker("browser") is not None:
        os.environ[ASYNC_UNSAFE] = "true"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    try:
        return (yield)  # fixtures' teardown: the test's rollback, after the last test the session's
    finally:
        os.environ.pop(ASYNC_UNSAFE, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so fixtures can tell a failed test at teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# ---------------------------------------------------------------------------- chromium


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium when it is there (CI installs it: Playwright may not download a browser
    there), else Playwright's own build (``make chromium`` installs it). As root (CI
    containers) chromium refuses to start without ``--no-sandbox``. The microphone is chromium's
    fake device, granted without asking."""
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    # A microphone that plays a tone and needs no permission prompt (voice notes).
    args += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    executable = {"executable_path": str(CHROMIUM)} if CHROMIUM.exists() else {}
    return {**browser_type_launch_args, **executable, "args": args}


@pytest.fixture(scope="session")
def browser(browser: Browser) -> Iterator[Browser]:
    """pytest-playwright's browser; before Playwright stops, the Django connections of this
    thread are closed: while its loop runs, Django keeps them per context (asgiref's Local) and
    once it stops they are out of reach, so one would linger and keep the test database from
    being dropped."""
    yield browser
    connections.close_all()


# ---------------------------------------------------------------------------- the seeded tenant


@dataclass(frozen=True)
class Person:
    """A user of tenant ``browser``; ``language`` empty means the tenant's (pt-BR)."""

    email: str
    name: str
    language: str = ""


# Ana (the tenant's pt-BR) and Alice (English) work Suporte, where the widget's tickets land,
# and Pós-venda; Bruno works only Vendas and must never see their tickets.
PEOPLE = {
    "admin": Person("admin@browser.test", "Admin Navegador"),
    "ana": Person("ana@browser.test", "Ana Souza"),
    "alice": Person("alice@browser.test", "Alice Smith", "en"),
    "bruno": Person("bruno@browser.test", "Bruno Vendas"),
}
SUPPORT, AFTER_SALES, SALES = "Suporte", "Pós-venda", "Vendas"
QUEUES_OF = {"ana": [SUPPORT, AFTER_SALES], "alice": [SUPPORT, AFTER_SALES], "bruno": [SALES]}


def _tenant_drop() -> None:
    with public_scope():
        tenant = Tenant.objects.filter(schema_name=SLUG).first()
        if tenant is not None:
            tenant.delete(force_drop=True)


def _seed(site_origin: str) -> str:
    """Provision tenant ``browser`` (pt-BR) with its people, two queues, a shared quick reply
    and a web chat widget the customer's site may embed; returns the widget's public id."""
    tenant_public_ensure()
    _tenant_drop()  # a database kept from an interrupted run (--reuse-db)
    admin = PEOPLE["admin"]
    tenant = tenant_provision(
        name="Loja Navegador",
        slug=SLUG,
        admin_email=admin.email,
        admin_password=PASSWORD,
        admin_name=admin.name,
        # The web chat, the Telegram bot and the connections the tests create (WhatsApp QR).
        max_channels=10,
    ).tenant
    with tenant_scope(tenant):
        by = User.objects.get(email=admin.email)
        queues = {
            name: queue_create(by=by, name=name, color=color)
            for name, color in ((SUPPORT, "#0b7a5c"), (AFTER_SALES, "#b54708"), (SALES, "#175cd3"))
        }
        for key, queue_names in QUEUES_OF.items():
            person = PEOPLE[key]
            user = agent_create(
                by=by,
                email=person.email,
                name=person.name,
                password=PASSWORD,
                queue_ids=[queues[name].pk for name in queue_names],
            )
            if person.language:
                agent_update(user=user, by=by, language=person.language)
        quick_reply_create(
            by=by, shortcode=QUICK_REPLY_SHORTCUT, body=QUICK_REPLY_BODY, shared=True
        )
        tag_create(name=TAG, color="#b42318")
        widget = connection_create(
            by=by,
            provider="webchat",
            name="Site da loja",
            credentials={"allowed_origins": [site_origin], "title": WIDGET_TITLE},
            default_queue=queues[SUPPORT],
            farewell_message=FAREWELL,
        )
        return str(widget.public_id)


@dataclass(frozen=True)
class TelegramBot:
    """The seeded Telegram connection: its webhook path on the platform host, the secret
    Telegram sends with every update, and its token (the simulator's records are by token)."""

    webhook_path: str
    secret: str
    token: str


TELEGRAM_TOKEN = "6060606060:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDbrws"


def _seed_telegram() -> TelegramBot:
    """A Telegram bot of tenant ``browser`` landing in the support queue (getMe and setWebhook
    answered by the session's simulator)."""
    with tenant_scope(Tenant.objects.get(schema_name=SLUG)):
        by = User.objects.get(email=PEOPLE["admin"].email)
        bot = connection_create(
            by=by,
            provider="telegram",
            name="Bot da loja",
            credentials={"bot_token": TELEGRAM_TOKEN},
            default_queue=Queue.objects.get(name=SUPPORT),
        )
        secret = bot.credentials["webhook_secret"]
        return TelegramBot(f"/webhooks/telegram/{bot.webhook_token}/", secret, TELEGRAM_TOKEN)


# ---------------------------------------------------------------------------- the processes


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log_tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no {path.name})"


class _SiteHandler(BaseHTTPRequestHandler):
    """The customer's own site: one page with the widget's snippet, and a favicon."""

    page = b""

    def do_GET(self) -> None:  # http.server's name
        if self.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        if self.path != "/":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        return


def _site_page(app_url: str, widget_id: str) -> bytes:
    return (
        "<!doctype html><html lang='pt-BR'><head><meta charset='utf-8'>"
        "<title>Loja de Teste</title></head><body><h1>Loja de Teste</h1>"
        "<p>Produtos, preços e um chat.</p>"
        f'<script src="{app_url}/widget/{widget_id}.js" async></script>'
        "</body></html>"
    ).encode()


def _wait_for_http(url: str, host: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"daphne exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 (http)
            with urllib.request.urlopen(request, timeout=1):  # noqa: S310 (loopback)
                return
        except OSError:  # not listening yet
            time.sleep(0.2)
    pytest.fail(f"daphne did not answer within {STARTUP_SECONDS:.0f} s:\n{_log_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class LiveApp:
    """Where things are: the tenant's dashboard, the customer's site, the processes' logs, and
    the simulated WhatsApp QR gateway the app is pointed at."""

    url: str
    site_url: str
    widget_id: str
    logs: Path
    # The providers' simulated APIs that the server and the worker call, and a bot using them.
    simulator: Simulator
    telegram: TelegramBot
    platform_url: str  # the base domain (provider webhooks), same server
    gateway: Simulator

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{_log_tail(path)}" for path in sorted(self.logs.glob("*.log"))
        )


@pytest.fixture(scope="session")
def live_app(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[LiveApp]:
    """daphne and a Celery worker on the test database, the customer's site, tenant
    ``browser`` seeded; all stopped (and the tenant dropped) when the session ends."""
    logs = tmp_path_factory.mktemp("browser-app")
    port = _free_port()
    host = f"{tenant_domain_for(SLUG)}:{port}"
    app_url = f"http://{host}"
    # The site's server takes its port first: the widget must allow exactly that origin.
    site = ThreadingHTTPServer(("127.0.0.1", 0), _SiteHandler)
    site_url = f"http://127.0.0.1:{site.server_address[1]}"
    simulator = Simulator().start()
    environment = pytest.MonkeyPatch()
    # The server and the worker inherit it: Telegram and Meta's Graph API are the simulator.
    environment.setenv("TELEGRAM_API_BASE_URL", simulator.telegram_base_url)
    environment.setenv("META_GRAPH_API_URL", simulator.graph_url)
    with (
        django_db_blocker.unblock(),
        override_settings(TELEGRAM_API_BASE_URL=simulator.telegram_base_url),
    ):
        widget_id = _seed(site_url)
        telegram = _seed_telegram()
    _SiteHandler.page = _site_page(app_url, widget_id)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    # The WhatsApp QR gateway (Evolution API), simulated; it posts its webhooks to daphne.
    gateway = Simulator().start()
    gateway.evolution.api_key = EVOLUTION_KEY
    gateway.evolution.qr_interval = QR_INTERVAL_SECONDS
    gateway_env = {
        "EVOLUTION_API_URL": gateway.evolution_url,
        "EVOLUTION_API_KEY": EVOLUTION_KEY,
        "WEBHOOK_BASE_URL": f"http://{settings.TIKTICKETS_BASE_DOMAIN}:{port}",
    }
    for name, value in gateway_env.items():  # inherited by daphne and the worker
        environment.setenv(name, value)
    daphne_log = logs / "daphne.log"
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    with daphne_log.open("wb") as out:
        daphne = subprocess.Popen(
            [*command, "tiktickets.asgi:application"],
            cwd=settings.BASE_DIR,
            env=app_process_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/accounts/login/", host, daphne, daphne_log)
        with celery_worker_running(logs / "worker.log"):
            yield LiveApp(
                url=app_url,
                site_url=site_url,
                widget_id=widget_id,
                logs=logs,
                simulator=simulator,
                telegram=telegram,
                platform_url=f"http://{settings.TIKTICKETS_BASE_DOMAIN}:{port}",
                gateway=gateway,
            )
    finally:
        _stop(daphne)
        simulator.stop()
        gateway.stop()
        environment.undo()
        site.shutdown()
        site.server_close()
        with django_db_blocker.unblock():
            _tenant_drop()


# ---------------------------------------------------------------------------- pages and errors


@dataclass
class BrowserErrors:
    """Page errors, console errors and HTTP errors of every watched page (frames included)."""

    found: list[str] = field(default_factory=list)
    allowed: list[tuple[int, str]] = field(default_factory=list)

    def allow_status(self, status: int, path: str) -> None:
        """The next answer ``status`` to a URL containing ``path`` is expected (and so is
        chromium's console line about it)."""
        self.allowed.append((status, path))

    def _response(self, name: str, response: Response) -> None:
        if response.status < 400:
            return
        for entry in self.allowed:
            if entry[0] == response.status and entry[1] in response.url:
                self.allowed.remove(entry)
                return
        self.found.append(
            f"[{name}] HTTP {response.status} {response.request.method} {response.url}"
        )

    def _console(self, name: str, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = message.text
        # chromium's own line for an HTTP error answer; the answer itself is judged above.
        if text.startswith("Failed to load resource: the server responded with a status of"):
            return
        self.found.append(f"[{name}] console error at {message.location.get('url')}: {text}")

    def watch(self, name: str, page: Page) -> Page:
        page.on("pageerror", lambda exc: self.found.append(f"[{name}] page error: {exc}"))
        page.on("console", lambda message: self._console(name, message))
        page.on("response", lambda response: self._response(name, response))
        return page


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


PageFactory = Callable[..., Page]


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, live_app: LiveApp, browser: Browser, browser_errors
) -> Iterator[PageFactory]:
    """``open_page(name)``: a page in a fresh browser context (its own cookies: one person),
    watched for errors. At the end: every page is screenshotted if the test failed, every
    context closed, and any error collected fails the test."""
    contexts: list[tuple[str, BrowserContext, Page]] = []

    def open_(name: str, **context_args: Any) -> Page:
        options = {"viewport": {"width": 1280, "height": 800}, "locale": "pt-BR", **context_args}
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        page = browser_errors.watch(name, context.new_page())
        contexts.append((name, context, page))
        return page

    yield open_

    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        for name, _, page in contexts:
            shot(page, f"{request.node.name}-FAILED-{name}")
        print(live_app.log_tails())
    for _, context, _ in contexts:
        context.close()
    assert browser_errors.found == [], "Errors in the browser:\n" + "\n".join(browser_errors.found)


PHONE_SIZE = {"width": 390, "height": 844}
DESKTOP_SIZE = {"width": 1366, "height": 768}


def no_sideways_scroll(page: Page) -> None:
    """The page fits its width (nothing makes it scroll sideways)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


def customer_writes(page: Page, live_app: LiveApp, customer: str, text: str) -> None:
    """A visitor of the shop's site opens the web chat and writes (a ticket in Suporte)."""
    page.goto(f"{live_app.site_url}/")
    page.get_by_test_id("tt-webchat-launcher").click()
    chat = page.frame_locator("[data-testid=tt-webchat-frame]")
    chat.get_by_test_id("tt-webchat-name").fill(customer)
    chat.get_by_test_id("tt-webchat-start").click()
    chat.get_by_test_id("tt-webchat-text").fill(text)
    chat.get_by_test_id("tt-webchat-send").click()
    expect(chat.get_by_test_id("tt-webchat-tick")).to_have_count(1)


def shot(page: Page, name: str) -> None:
    """A screenshot for people, under test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
    page.screenshot(path=str(ARTIFACTS / f"{safe}.png"), full_page=True)


def sign_in(page: Page, app: LiveApp, who: str, *, next_path: str = "/") -> None:
    """Sign ``who`` in through the sign-in form and land on ``next_path``."""
    page.goto(f"{app.url}/accounts/login/?next={next_path}")
    page.locator("#id_email").fill(PEOPLE[who].email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{app.url}{next_path}")
