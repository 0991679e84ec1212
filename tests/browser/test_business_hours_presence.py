"""Business hours and presence in chromium, in the tenant's pt-BR: an admin on a 390 px phone
fills the week with the keyboard, a bad interval is refused next to its weekday and then saved
(and switched off again, for the tests that follow);
at 1366 px an agent sets herself away and available in the header, and the admin sees her
status on the queues list. No page scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP_SIZE, PHONE_SIZE, no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_an_admin_sets_business_hours_on_a_phone_with_the_keyboard(
    live_app, open_page, browser_errors
):
    page = open_page("admin")
    page.set_viewport_size(PHONE_SIZE)
    sign_in(page, live_app, "admin", next_path="/manage/business-hours/")
    expect(page.get_by_role("heading", name="Horário de atendimento")).to_be_visible()
    no_sideways_scroll(page)

    form = page.get_by_test_id("business-hours-form")
    form.get_by_label("Responder fora do horário").focus()
    page.keyboard.press("Space")
    form.get_by_label("Mensagem fora do horário").fill("Voltamos às 8h, {name}.")
    form.get_by_label("Segunda-feira").fill("08:00-12:00, 11:00-18:00")  # overlaps
    browser_errors.allow_status(400, "/manage/business-hours/")
    form.get_by_label("Segunda-feira").press("Enter")
    expect(page.locator("#id_day_0-error")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "business-hours-refused-phone")

    form = page.get_by_test_id("business-hours-form")
    form.get_by_label("Segunda-feira").fill("08:00-12:00, 13:00-18:00")
    form.get_by_label("Feriados").fill("2026-12-25 Natal")
    form.get_by_role("button", name="Salvar").click()
    expect(page.locator(".flash")).to_contain_text("Horário de atendimento salvo.")
    expect(page.get_by_test_id("business-hours-form").get_by_label("Segunda-feira")).to_have_value(
        "08:00-12:00, 13:00-18:00"
    )
    shot(page, "business-hours-saved-phone")

    # The shared browser tenant is left always open for the other tests (a disabled schedule).
    form = page.get_by_test_id("business-hours-form")
    form.get_by_label("Responder fora do horário").uncheck()
    form.get_by_role("button", name="Salvar").click()
    expect(page.get_by_test_id("business-hours-state")).to_contain_text("Aberto agora.")


def test_an_agent_sets_herself_away_and_the_admin_sees_it(live_app, open_page):
    ana = open_page("ana")
    ana.set_viewport_size(DESKTOP_SIZE)
    sign_in(ana, live_app, "ana")
    ana.get_by_test_id("presence-away").click()
    expect(ana.get_by_test_id("presence-available")).to_be_visible()
    no_sideways_scroll(ana)
    shot(ana, "presence-away-desktop")

    admin = open_page("admin")
    admin.set_viewport_size(DESKTOP_SIZE)
    sign_in(admin, live_app, "admin", next_path="/manage/queues/")
    ana_there = admin.locator(".presence-person", has_text="Ana Souza").first
    expect(ana_there).to_have_attribute("data-status", "away")
    no_sideways_scroll(admin)
    shot(admin, "queues-presence-desktop")

    ana.get_by_test_id("presence-available").click()
    expect(ana.get_by_test_id("presence-away")).to_be_visible()
    # The choice reloads Ana's page, whose socket then says "online" again: the queues page
    # (not live) shows it from the next load after that, so it is reloaded until then.
    ana_there = admin.locator(".presence-person", has_text="Ana Souza").first
    for _ in range(20):
        admin.reload()
        if ana_there.get_attribute("data-status") == "online":
            break
        admin.wait_for_timeout(500)
    expect(ana_there).to_have_attribute("data-status", "online")
