"""A new tenant's admin on an empty inbox, in chromium at 1366x768 and 390x844: the
getting-started checklist shows the steps the seeded data already completes (a queue, a
connected web chat, other users) and the one left (a message through the web chat), leads to a
connection page that explains where each value comes from, fits a phone without sideways
scroll, and once hidden stays hidden."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}


def test_the_admin_follows_the_checklist_then_hides_it(live_app, open_page):
    page = open_page("admin-desktop", **DESKTOP)
    sign_in(page, live_app, "admin")
    checklist = page.get_by_test_id("onboarding")
    expect(checklist).to_be_visible()
    expect(page.get_by_test_id("onboarding-progress")).to_have_text("3 de 4 passos feitos")
    for step in ("queue", "channel", "agent"):
        expect(page.get_by_test_id(f"onboarding-step-{step}")).to_have_attribute(
            "data-done", "true"
        )
    expect(page.get_by_test_id("onboarding-step-widget")).to_have_attribute("data-done", "false")
    try_link = page.get_by_test_id("onboarding-widget-try")
    expect(try_link).to_have_attribute("href", f"/widget/{live_app.widget_id}/try/")
    no_sideways_scroll(page)
    shot(page, "onboarding-checklist-1366")

    page.get_by_test_id("onboarding-telegram").click()
    guide = page.get_by_test_id("connection-guide")
    expect(guide).to_contain_text("@BotFather")
    expect(guide).to_contain_text("“Token do bot (do @BotFather)”")
    no_sideways_scroll(page)
    shot(page, "onboarding-telegram-guide-1366")

    phone = open_page("admin-phone", **PHONE)
    sign_in(phone, live_app, "admin")
    expect(phone.get_by_test_id("onboarding")).to_be_visible()
    no_sideways_scroll(phone)
    shot(phone, "onboarding-checklist-390")
    phone.goto(f"{live_app.url}/manage/connections/new/whatsapp_cloud/")
    expect(phone.get_by_test_id("connection-guide")).to_contain_text("whatsapp_business_messaging")
    no_sideways_scroll(phone)
    shot(phone, "onboarding-whatsapp-guide-390")

    phone.goto(f"{live_app.url}/")
    phone.get_by_test_id("onboarding-dismiss").click()
    expect(phone.get_by_test_id("onboarding")).to_have_count(0)
    phone.reload()
    expect(phone.get_by_test_id("inbox-empty")).to_be_visible()
    expect(phone.get_by_test_id("onboarding")).to_have_count(0)
    page.goto(f"{live_app.url}/")
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    expect(page.get_by_test_id("onboarding")).to_have_count(0)
