"""The inbox's bulk actions in chromium: Ana selects three waiting tickets with a click and a
Shift+click, is refused closing them (they are not hers yet), accepts them, then selects them
again by keyboard and closes them, each time reading the per-ticket outcome; at a phone's width
the selection bar fits. In the tenant's pt-BR."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP_SIZE, PHONE_SIZE, no_sideways_scroll, shot, sign_in
from tests.browser.test_profile import _customer_writes, _rows, _waiting_tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _mine(page: Page, customers: list[str]):
    return [_rows(page).filter(has_text=customer) for customer in customers]


def _select_range(page: Page, customers: list[str]) -> None:
    """Click the first row's box, Shift+click the last one's: the rows between are selected."""
    rows = _mine(page, customers)
    rows[0].get_by_test_id("inbox-row-select").click()
    rows[-1].get_by_test_id("inbox-row-select").click(modifiers=["Shift"])
    expect(page.get_by_test_id("bulk-count")).to_have_text(str(len(customers)))
    for row in rows:
        expect(row.get_by_test_id("inbox-row-select")).to_be_checked()


def test_an_agent_accepts_and_closes_tickets_in_bulk(live_app, open_page):
    page = open_page("ana-bulk")
    page.set_viewport_size(DESKTOP_SIZE)
    customer_page = open_page("customer-bulk")
    sign_in(page, live_app, "ana")
    # Newest first: the three rows are adjacent at the top of the waiting tab
    customers = [_customer_writes(live_app, customer_page) for _ in range(3)][::-1]
    _waiting_tab(live_app, page)
    for row in _mine(page, customers):
        expect(row).to_be_visible()
    bar = page.get_by_test_id("bulk-bar")
    expect(bar).to_be_hidden()

    _select_range(page, customers)
    expect(bar).to_be_visible()

    # Not hers yet: closing is refused for each, with the reason, and nothing changes
    page.get_by_test_id("bulk-close").click()
    expect(page.get_by_test_id("bulk-summary")).to_have_text(
        "3 recusados: Você não tem permissão para fazer isso neste ticket."
    )
    expect(page.get_by_test_id("bulk-refused-row")).to_have_count(3)
    for row in _mine(page, customers):
        expect(row).to_be_visible()
    expect(bar).to_be_hidden()  # the list was read again, nothing is selected

    _select_range(page, customers)
    page.get_by_test_id("bulk-accept").click()
    expect(page.get_by_test_id("bulk-summary")).to_have_text("3 aceitos")
    for row in _mine(page, customers):
        expect(row).to_have_count(0)  # they left the waiting tab

    # In the open tab, by keyboard: focus a row and press Space, j to the next, x, and so on
    page.get_by_test_id("inbox-tab-open").click()
    expect(page.get_by_test_id("inbox-tab-open")).to_have_attribute("aria-current", "page")
    rows = _mine(page, customers)
    rows[0].locator(".ticket-link").focus()
    page.keyboard.press("Space")
    for row in rows[1:]:
        row.locator(".ticket-link").focus()
        page.keyboard.press("x")
    expect(page.get_by_test_id("bulk-count")).to_have_text("3")
    no_sideways_scroll(page)
    shot(page, "inbox-bulk-selected-1366")
    page.get_by_test_id("bulk-close").click()
    expect(page.get_by_test_id("bulk-summary")).to_have_text("3 fechados")
    for row in _mine(page, customers):
        expect(row).to_have_count(0)
    shot(page, "inbox-bulk-closed-1366")

    # Shift+A selects every visible row, again clears; the closed tickets are there to pick
    page.get_by_test_id("inbox-tab-closed").click()
    expect(page.get_by_test_id("inbox-tab-closed")).to_have_attribute("aria-current", "page")
    expect(_mine(page, customers)[0]).to_be_visible()
    page.locator("body").press("Shift+A")
    total = _rows(page).count()
    expect(page.get_by_test_id("bulk-count")).to_have_text(str(total))
    page.locator("body").press("Shift+A")
    expect(bar).to_be_hidden()

    # At a phone's width the bar and its transfer form fit without sideways scrolling
    page.set_viewport_size(PHONE_SIZE)
    _mine(page, customers)[0].get_by_test_id("inbox-row-select").click()
    expect(bar).to_be_visible()
    page.get_by_test_id("bulk-transfer-open").click()
    expect(page.get_by_test_id("bulk-queue")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "inbox-bulk-390")
