"""The design system in chromium: axe-core (vendored, pinned: tests/browser/vendor/) finds no
serious or critical violation on the main pages at a desktop's and a phone's width, in the
light and the dark palette; the theme chosen in the profile is the server's (on <html> at the
first paint, whatever the system says); and screenshots of the inbox, a ticket, a manage page
and sign-in in both themes at both widths are kept in test-artifacts/browser/ for people."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any, Literal

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from conftest import platform_staff_create
from tests.browser.conftest import (
    DESKTOP_SIZE,
    PHONE_SIZE,
    LiveApp,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

AXE = Path(__file__).parent / "vendor" / "axe-core-4.11.0" / "axe.min.js"
SIZES = {"desktop": DESKTOP_SIZE, "phone": PHONE_SIZE}
Scheme = Literal["light", "dark"]
SCHEMES: tuple[Scheme, ...] = ("light", "dark")
ROOT_EMAIL = f"root-{uuid.uuid4().hex[:6]}@design.test"  # one per run: kept, never deleted
ROOT_PASSWORD = "Platform-Design-2026"
# WCAG 2.x A/AA and axe's best practices; the test fails on the serious and critical ones.
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {
      type: "tag",
      values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    resultTypes: ["violations"],
  });
  const serious = result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(" "), why: n.failureSummary})),
    }));
  return {serious: serious, passed: result.passes.map(rule => rule.id)};
}"""


def _context(size: str, scheme: Scheme = "light") -> dict[str, Any]:
    phone = size == "phone"
    return {
        "viewport": SIZES[size],
        "color_scheme": scheme,
        **({"has_touch": True, "is_mobile": True} if phone else {}),
    }


def _serious(page: Page, where: str) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(AXE_RUN)
    # axe did look: rules every page passes (a language, a title) are among its passes.
    assert {"html-has-lang", "document-title"} <= set(found["passed"]), where
    return [
        f"{where}: {v['impact']} {v['id']} ({v['help']}) {json.dumps(v['nodes'])}"
        for v in found["serious"]
    ]


def _check(page: Page, size: str, where: str, problems: list[str]) -> None:
    """axe in both palettes (the system's colour scheme switched under the page: the user's
    theme is "system"), a screenshot of each, and the page fits its width."""
    page.wait_for_load_state("networkidle")
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        problems.extend(_serious(page, f"{where} [{scheme}]"))
        shot(page, f"axe-{size}-{scheme}-{where}")
    page.emulate_media(color_scheme="light")
    width = _width(page)
    if width > SIZES[size]["width"] + 1:
        problems.append(f"{where}: the page is {width}px wide")


def _width(page: Page) -> int:
    """The page's width. (A phone's layout viewport widens to its content, so comparing with
    window.innerWidth alone would not tell that it is wider than the screen.)"""
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _customer_writes(page: Page, live_app: LiveApp, customer: str) -> None:
    page.goto(f"{live_app.site_url}/")
    page.get_by_test_id("tt-webchat-launcher").click()
    chat = page.frame_locator("[data-testid=tt-webchat-frame]")
    chat.get_by_test_id("tt-webchat-name").fill(customer)
    chat.get_by_test_id("tt-webchat-start").click()
    chat.get_by_test_id("tt-webchat-text").fill("Olá, preciso de ajuda com um pedido")
    chat.get_by_test_id("tt-webchat-send").click()
    expect(chat.get_by_test_id("tt-webchat-tick")).to_have_count(1)


def _open_ticket(page: Page, size: str, customer: str) -> None:
    page.get_by_test_id("inbox-tab-pending").click()
    page.get_by_test_id("inbox-row").filter(has_text=customer).locator(".ticket-link").click()
    expect(page.get_by_test_id("ticket-contact-name")).to_have_text(customer)
    if size == "desktop":  # the contact panel beside the conversation has loaded
        expect(page.get_by_test_id("contact-panel")).to_contain_text(customer)


@pytest.fixture(scope="module")
def platform_root(live_app, django_db_blocker) -> Any:
    """A super admin of the platform (public schema) for /platform/, with the two-factor
    sign-in platform staff always need; returns its authenticator. Kept to the end of the
    test database (deleting a user reaches into tenant tables the public schema lacks)."""
    with django_db_blocker.unblock():
        _, totp = platform_staff_create(ROOT_EMAIL, ROOT_PASSWORD)
    return totp


_codes_used: list[int] = []


def _next_code(totp: Any) -> str:
    """A code of a time step not used yet (platform staff sign in with two-factor codes, each
    accepted once; the server allows the next step too)."""
    step = totp.timecode(time.time())
    if _codes_used and step <= _codes_used[-1]:
        step = _codes_used[-1] + 1
    _codes_used.append(step)
    return str(totp.generate_otp(step))


def _platform_url(live_app: LiveApp) -> str:
    port = live_app.url.rsplit(":", 1)[1]
    return f"http://{settings.TIKTICKETS_BASE_DOMAIN}:{port}"


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_no_serious_violation_on_the_main_pages(live_app, open_page, platform_root, size):
    problems: list[str] = []
    customer = f"Axe {uuid.uuid4().hex[:6]}"
    _customer_writes(open_page("customer"), live_app, customer)

    # Sign-in, signed out
    visitor = open_page("visitor", **_context(size))
    visitor.goto(f"{live_app.url}/accounts/login/")
    _check(visitor, size, "sign-in", problems)

    # An agent: the inbox, a ticket open, contacts, reports, the profile
    ana = open_page("ana", **_context(size))
    sign_in(ana, live_app, "ana")
    _check(ana, size, "inbox", problems)
    _open_ticket(ana, size, customer)
    _check(ana, size, "panel", problems)
    if size == "phone":
        ana.get_by_test_id("contact-toggle").tap()
        expect(ana.get_by_test_id("contact-drawer")).to_be_visible()
        _check(ana, size, "contact drawer", problems)
    for path, where in (
        ("/contacts/", "contacts"),
        ("/reports/", "reports"),
        ("/accounts/profile/", "profile"),
    ):
        ana.goto(f"{live_app.url}{path}")
        _check(ana, size, where, problems)

    # An admin: manage pages
    admin = open_page("admin", **_context(size))
    sign_in(admin, live_app, "admin", next_path="/manage/")
    for path in (
        "/manage/",
        "/manage/users/",
        "/manage/queues/",
        "/manage/tags/",
        "/manage/connections/",
        "/manage/settings/",
        "/manage/business-hours/",
        "/manage/flows/",
        "/manage/api-keys/",
        "/manage/webhooks/",
        "/manage/style/",
        "/reports/live/",
    ):
        admin.goto(f"{live_app.url}{path}")
        _check(admin, size, path, problems)

    # The platform's staff: the tenants' list
    root = open_page("root", **_context(size))
    platform = _platform_url(live_app)
    root.goto(f"{platform}/platform/login/?next=/platform/")
    root.locator("#id_email").fill(ROOT_EMAIL)
    root.locator("#id_password").fill(ROOT_PASSWORD)
    root.locator("form button[type=submit]").click()
    root.wait_for_url(f"{platform}/platform/login/code/")
    root.get_by_label("Código").fill(_next_code(platform_root))
    root.locator("form button[type=submit]").click()
    root.wait_for_url(f"{platform}/platform/")
    _check(root, size, "platform", problems)

    assert problems == [], "Serious or critical (axe), or too wide:\n" + "\n".join(problems)


def _theme_choose(page: Page, live_app: LiveApp, label: str) -> None:
    page.goto(f"{live_app.url}/accounts/profile/")
    page.get_by_label("Tema").select_option(label=label)
    page.get_by_test_id("profile-save").click()
    expect(page.locator(".flash")).to_contain_text("Perfil salvo.")


def _background(page: Page) -> str:
    return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_theme_chosen_in_the_profile_wins_over_the_system_and_every_screen_is_shot(
    live_app, open_page, size
):
    customer = f"Tema {uuid.uuid4().hex[:6]}"
    _customer_writes(open_page("customer"), live_app, customer)

    # Signed out, the system decides.
    for scheme in SCHEMES:
        visitor = open_page(f"visitor-{scheme}", **_context(size, scheme))
        visitor.goto(f"{live_app.url}/accounts/login/")
        assert not visitor.evaluate("document.documentElement.hasAttribute('data-theme')")
        shot(visitor, f"theme-{size}-{scheme}-sign-in")

    # The system says light; Ana chooses dark, then light, then the system again.
    page = open_page("ana", **_context(size, "light"))
    sign_in(page, live_app, "ana")
    light_background = _background(page)
    try:
        for label, theme in (("Escuro", "dark"), ("Claro", "light")):
            _theme_choose(page, live_app, label)
            # The server wrote it: the first byte of the page already has it.
            html = str(page.evaluate("fetch('/').then(answer => answer.text())"))
            assert f'data-theme="{theme}"' in html.split("<head>")[0]
            page.goto(f"{live_app.url}/")
            expect(page.locator("html")).to_have_attribute("data-theme", theme)
            if theme == "dark":
                assert _background(page) != light_background
            else:
                assert _background(page) == light_background
            shot(page, f"theme-{size}-{theme}-inbox")
            _open_ticket(page, size, customer)
            shot(page, f"theme-{size}-{theme}-panel")
            page.goto(f"{live_app.url}/manage/quick-replies/")
            assert _width(page) <= SIZES[size]["width"] + 1
            shot(page, f"theme-{size}-{theme}-manage")
    finally:
        _theme_choose(page, live_app, "Seguir o sistema")
    # Back to the system's: dark when the system is.
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_app.url}/")
    assert not page.evaluate("document.documentElement.hasAttribute('data-theme')")
    assert _background(page) != light_background
