"""Saved inbox filters in chromium: Ana narrows her inbox (waiting tab, "My queues", unread
only), saves it under a name, goes back to everything, applies the saved filter and finds the
filter controls set again, then deletes it after confirming. At a phone's width the menu fits.
In the tenant's pt-BR."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE_SIZE, no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_an_agent_saves_applies_and_deletes_a_filter(live_app, open_page):
    page = open_page("ana-saved-filters")
    page.set_viewport_size(PHONE_SIZE)
    sign_in(page, live_app, "ana")
    name = f"Aguardando {uuid.uuid4().hex[:4]}"

    page.get_by_test_id("inbox-tab-pending").click()
    expect(page.get_by_test_id("inbox-tab-pending")).to_have_attribute("aria-current", "page")
    page.get_by_test_id("inbox-scope").select_option("queues")
    page.get_by_test_id("inbox-filter-unread").check()
    expect(page).to_have_url(re.compile(r"[?&]unread=1"))
    expect(page).to_have_url(re.compile(r"[?&]scope=queues"))

    page.get_by_test_id("saved-filters-open").click()
    page.get_by_label("Salvar os filtros atuais como").fill(name)
    page.get_by_test_id("saved-filter-save").click()
    saved = page.get_by_test_id("saved-filter").filter(has_text=name)
    expect(saved).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "inbox-saved-filters-390")

    # Back to everything, then the saved filter brings the narrowed inbox back
    page.goto(f"{live_app.url}/?tab=open")
    expect(page.get_by_test_id("inbox-scope")).to_have_value("all")
    page.get_by_test_id("saved-filters-open").click()
    page.get_by_test_id("saved-filter").filter(has_text=name).get_by_test_id(
        "saved-filter-apply"
    ).click()
    expect(page.get_by_test_id("inbox-tab-pending")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("inbox-scope")).to_have_value("queues")
    expect(page.get_by_test_id("inbox-filter-unread")).to_be_checked()

    # Deleting asks first: dismissed, it stays; accepted, it goes
    page.get_by_test_id("saved-filters-open").click()
    row = page.get_by_test_id("saved-filter").filter(has_text=name)
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_test_id("saved-filter-delete").click()
    page.wait_for_timeout(300)
    expect(row).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_test_id("saved-filter-delete").click()
    expect(row).to_have_count(0)
