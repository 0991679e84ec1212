"""Signing in and out of the dashboard in chromium, in the tenant's language (pt-BR) and in a
user's own (English)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, PEOPLE, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_an_agent_is_sent_to_sign_in_refused_with_a_wrong_password_then_signs_in_and_out(
    live_app, open_page, browser_errors
):
    page = open_page("ana")
    # Given the dashboard asked for without a session: the sign-in page, in the tenant's pt-BR.
    page.goto(f"{live_app.url}/")
    expect(page).to_have_url(f"{live_app.url}/accounts/login/?next=/")
    expect(page.get_by_role("heading", name="Entrar")).to_be_visible()
    expect(page.get_by_label("Senha")).to_be_visible()

    # When the password is wrong: a 400, the reason shown, still signed out.
    page.get_by_label("E-mail").fill(PEOPLE["ana"].email)
    page.get_by_label("Senha").fill(PASSWORD + "x")
    browser_errors.allow_status(400, "/accounts/login/")
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_value(PEOPLE["ana"].email)
    shot(page, "sign-in-refused")

    # When the password is right: the inbox, with her name and a pt-BR "Sign out".
    page.get_by_label("Senha").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{live_app.url}/")
    expect(page.get_by_test_id("nav-inbox")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("nav-profile")).to_have_text("Ana")
    expect(page.get_by_test_id("logout")).to_have_text("Sair")
    expect(page.get_by_test_id("nav-contacts")).to_have_text("Contatos")
    shot(page, "signed-in-pt-br")

    # Then signing out ends the session: the dashboard asks for a sign-in again.
    page.get_by_test_id("logout").click()
    # (the inbox's socket, closed by the sign-out, may also send the tab to the sign-in page)
    expect(page).to_have_url(re.compile(r"/accounts/login/"), timeout=15_000)
    expect(page.get_by_test_id("logout")).to_have_count(0)
    page.goto(f"{live_app.url}/")
    expect(page).to_have_url(f"{live_app.url}/accounts/login/?next=/")


def test_an_agent_who_prefers_english_gets_the_dashboard_in_english(live_app, open_page):
    page = open_page("alice")
    sign_in(page, live_app, "alice")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("logout")).to_have_text("Sign out")
    expect(page.get_by_test_id("nav-contacts")).to_have_text("Contacts")
    shot(page, "signed-in-en")
    page.get_by_test_id("logout").click()
    # Signed out, the sign-in page speaks the tenant's language again.
    expect(page.get_by_role("heading", name="Entrar")).to_be_visible()
