"""Two-factor sign-in in chromium, at a desktop's and a phone's width, in the tenant's pt-BR: an
admin adds a colleague, who enrols an authenticator on her profile with a code computed from the
key the page shows, keeps her recovery codes, signs out, and signs in again with a code."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)], ids=["desktop", "phone"])
def test_a_user_enrols_two_factor_then_signs_in_with_a_code(
    live_app, open_page, browser_errors, width, height
):
    email = f"dora{width}@browser.test"
    # Given a colleague the admin adds on /manage/users/
    admin = open_page(f"admin-2fa-{width}")
    sign_in(admin, live_app, "admin", next_path="/manage/users/")
    form = admin.get_by_test_id("user-form")
    form.get_by_label("Nome").fill(f"Dora {width}")
    form.get_by_label("E-mail").fill(email)
    form.get_by_label("Senha").fill(PASSWORD)
    form.get_by_label("Perfil").select_option("agent")
    form.locator("button[type=submit]").click()
    expect(admin.get_by_text(f"Dora {width}").first).to_be_visible()

    # When she signs in and sets up two-factor sign-in on her profile
    page = open_page(f"dora-{width}")
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_app.url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{live_app.url}/")
    page.goto(f"{live_app.url}/accounts/profile/")
    section = page.get_by_test_id("two-factor")
    expect(section.get_by_role("heading", name="Login em duas etapas")).to_be_visible()
    section.get_by_role("button", name="Configurar o login em duas etapas").click()
    expect(section.get_by_test_id("two-factor-qr").locator("svg")).to_be_visible()
    secret = section.get_by_test_id("two-factor-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    section.scroll_into_view_if_needed()
    no_sideways_scroll(page)
    shot(page, f"two-factor-enrol-{width}")
    totp = pyotp.TOTP(secret)
    section.get_by_label("Digite o código de 6 dígitos que o aplicativo mostra").fill(totp.now())
    section.get_by_role("button", name="Ativar").click()

    # Then her recovery codes are shown once
    expect(page.get_by_role("heading", name="Códigos de recuperação")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    no_sideways_scroll(page)
    shot(page, f"two-factor-recovery-codes-{width}")
    page.get_by_test_id("recovery-codes-done").click()
    expect(page.get_by_test_id("two-factor-on")).to_contain_text("10")

    # When she signs out and in again: the password alone leads to the code step
    if width < 700:
        page.get_by_test_id("nav-toggle").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(f"{live_app.url}/accounts/login/?next=/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{live_app.url}/accounts/login/code/")
    expect(page.get_by_role("heading", name="Login em duas etapas")).to_be_visible()
    no_sideways_scroll(page)

    # a wrong code is refused there, and she stays signed out
    browser_errors.allow_status(400, "/accounts/login/code/")
    page.get_by_label("Código").fill("000000")
    page.get_by_role("button", name="Verificar").click()
    expect(page.get_by_role("alert")).to_contain_text("O código não está correto")
    shot(page, f"two-factor-code-refused-{width}")

    # Then the app's next code signs her in (the enrolment's code was spent: no replay)
    page.get_by_label("Código").fill(totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="Verificar").click()
    expect(page).to_have_url(f"{live_app.url}/")
    expect(page.get_by_test_id("nav-profile")).to_have_text("Dora")

    # And the admin's list of users says who has it
    admin.set_viewport_size({"width": width, "height": height})
    admin.reload()
    row = admin.get_by_test_id("user-row").filter(has_text=email)
    expect(row.get_by_test_id("user-two-factor-on")).to_have_text("sim")
    no_sideways_scroll(admin)
    shot(admin, f"two-factor-user-list-{width}")
