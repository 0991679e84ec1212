"""Live inbox rows in chromium when their refreshes overlap: a customer's messages come close
together, so the inbox asks for the same row again before the previous answer has arrived. The
answers can come back in any order; the row shows the newest and is shown once. A row redrawn
by a live event keeps its ticked box, and a Shift+click range can start from it."""

from __future__ import annotations

import time
import urllib.request
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from contacts.models import Contact
from contacts.services import contact_update
from tenants.models import Tenant
from tenants.tenancy import tenant_scope
from tests.browser.conftest import SLUG, sign_in
from tests.browser.test_profile import _customer_writes, _rows, _waiting_tab
from tests.support.concurrency import in_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _writes_again(customer_page: Page, text: str, ticks: int) -> None:
    chat = customer_page.frame_locator("[data-testid=tt-webchat-frame]")
    chat.get_by_test_id("tt-webchat-text").fill(text)
    chat.get_by_test_id("tt-webchat-send").click()
    expect(chat.get_by_test_id("tt-webchat-tick")).to_have_count(ticks)


def test_an_older_answer_for_a_row_never_replaces_a_newer_one(live_app, open_page):
    page = open_page("ana-live-rows")
    customer_page = open_page("customer-live-rows")
    sign_in(page, live_app, "ana")
    _waiting_tab(live_app, page)
    customer = _customer_writes(live_app, customer_page)
    row = _rows(page).filter(has_text=customer)
    expect(row).to_have_count(1)

    # The next answer for a row is fetched from the server at once but held back, as a slow
    # network would; every later one goes through.
    held: list[tuple[Route, tuple[int, bytes]]] = []
    holding = {"on": False}

    def fetch(route: Route) -> tuple[int, bytes]:
        # From here rather than from the browser's driver, which cannot resolve *.localhost.
        url = urlsplit(route.request.url)
        headers = {k: v for k, v in route.request.headers.items() if k in ("cookie", "hx-request")}
        headers["Host"] = url.netloc
        asked = urllib.request.Request(
            f"http://127.0.0.1:{url.port}{url.path}?{url.query}", headers=headers
        )
        with urllib.request.urlopen(asked, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.read()

    def hold_one(route: Route) -> None:
        answer = fetch(route)
        if holding["on"]:
            holding["on"] = False
            held.append((route, answer))
            return
        route.fulfill(status=answer[0], body=answer[1], content_type="text/html; charset=utf-8")

    page.route("**/inbox/rows/**", hold_one)
    holding["on"] = True
    _writes_again(customer_page, "Segunda mensagem", 2)
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the inbox did not ask for the row again"

    _writes_again(customer_page, "Terceira mensagem", 3)
    preview = row.get_by_test_id("inbox-row-preview")
    expect(preview).to_contain_text("Terceira mensagem")

    # The older answer (it shows the second message) arrives last: the row keeps the newest.
    route, (status, body) = held[0]
    route.fulfill(status=status, body=body, content_type="text/html; charset=utf-8")
    page.wait_for_timeout(500)  # it is applied, if at all, within a few milliseconds
    expect(_rows(page).filter(has_text=customer)).to_have_count(1)
    expect(preview).to_contain_text("Terceira mensagem")
    page.unroute("**/inbox/rows/**")


def test_a_range_is_selected_from_a_row_redrawn_since_its_box_was_clicked(live_app, open_page):
    page = open_page("ana-live-range")
    customer_page = open_page("customer-live-range")
    sign_in(page, live_app, "ana")
    # Newest first: the three rows are adjacent at the top of the waiting tab.
    customers = [_customer_writes(live_app, customer_page) for _ in range(3)][::-1]
    _waiting_tab(live_app, page)
    rows = [_rows(page).filter(has_text=customer) for customer in customers]
    for row in rows:
        expect(row).to_be_visible()

    rows[0].get_by_test_id("inbox-row-select").click()
    expect(page.get_by_test_id("bulk-count")).to_have_text("1")
    # The first customer's contact changes (an e-mail added elsewhere): the live event redraws
    # that row, with its box still ticked.
    rows[0].evaluate("row => row.setAttribute('data-probe', 'before')")

    def add_email() -> None:
        with tenant_scope(Tenant.objects.get(schema_name=SLUG)):
            contact = Contact.objects.get(name=customers[0])
            contact_update(contact=contact, email=f"{uuid.uuid4().hex[:8]}@example.com")

    in_thread(add_email)
    expect(rows[0]).not_to_have_attribute("data-probe", "before")
    expect(rows[0].get_by_test_id("inbox-row-select")).to_be_checked()

    # Shift+click on the third row selects the range from the redrawn first one.
    rows[2].get_by_test_id("inbox-row-select").click(modifiers=["Shift"])
    expect(page.get_by_test_id("bulk-count")).to_have_text("3")
    for row in rows:
        expect(row.get_by_test_id("inbox-row-select")).to_be_checked()
