"""Signing in and out of the dashboard in chromium."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, shot, sign_in


def test_an_agent_signs_in_sees_the_inbox_and_signs_out(live_app, page, console_errors):
    console_errors.watch(page)
    # A wrong password keeps the agent on the sign-in page with the reason (pt-BR: the tenant's).
    page.goto(f"{live_app.url}/")
    expect(page).to_have_url(f"{live_app.url}/accounts/login/?next=/")
    page.fill("#id_email", live_app.emails["ana"])
    page.fill("#id_password", PASSWORD + "x")
    console_errors.expect_status(400)  # a refused sign-in is a 400
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("E-mail ou senha incorretos.")
    shot(page, "sign-in-refused")

    sign_in(page, live_app, "ana")
    expect(page.get_by_test_id("nav-inbox")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("logout")).to_have_text("Sair")
    shot(page, "inbox-after-sign-in")

    page.get_by_test_id("logout").click()
    # (Signing out also closes the page's live socket, which sends the tab to the sign-in page.)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_test_id("logout")).to_have_count(0)
    page.goto(f"{live_app.url}/")
    expect(page).to_have_url(f"{live_app.url}/accounts/login/?next=/")
