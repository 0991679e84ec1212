"""The reports dashboard in chromium: an admin opens it, the charts draw without a console
error, a customer's web chat message becomes an attendance on it (through the worker: the
ticket's events refresh the rollup), the period changes, a table downloads as CSV and XLSX; on a
390 px phone nothing overflows the page sideways; the live panel moves when an agent accepts a
ticket in another browser. In the tenant's pt-BR."""

from __future__ import annotations

import uuid
import zipfile

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _attendances(page: Page) -> int:
    value = page.get_by_test_id("card-attendances").locator(".report-value").inner_text()
    return int(value)


def _charts_drawn(page: Page) -> list[str]:
    return page.evaluate(
        "['chart-daily', 'chart-channels', 'chart-queues', 'chart-agents']"
        ".filter(id => window.Chart && window.Chart.getChart(document.getElementById(id)))"
    )


def _customer_writes(page: Page, app) -> None:
    page.goto(f"{app.site_url}/")
    page.get_by_test_id("tt-webchat-launcher").click()
    chat = page.frame_locator("[data-testid=tt-webchat-frame]")
    chat.get_by_test_id("tt-webchat-name").fill(f"Relatório {uuid.uuid4().hex[:6]}")
    chat.get_by_test_id("tt-webchat-start").click()
    chat.get_by_test_id("tt-webchat-text").fill("Quero acompanhar meu pedido")
    chat.get_by_test_id("tt-webchat-send").click()
    expect(chat.get_by_test_id("tt-webchat-tick")).to_have_count(1)


def test_an_admin_reads_the_dashboard_changes_the_period_and_downloads_a_table(live_app, open_page):
    page = open_page("admin")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_app, "admin")
    page.get_by_test_id("nav-reports").click()
    expect(page.get_by_role("heading", name="Relatórios", level=1)).to_be_visible()
    expect(page.get_by_test_id("card-handling")).to_contain_text("Tempo de atendimento (TMA)")
    expect(page.get_by_test_id("card-handling")).to_contain_text("mediana")
    page.wait_for_function("document.readyState === 'complete'")
    assert _charts_drawn(page) == ["chart-daily", "chart-channels", "chart-queues", "chart-agents"]

    # The period picker: today (the custom dates stay hidden unless "Personalizado").
    expect(page.get_by_label("De", exact=True)).to_be_hidden()
    page.get_by_label("Período", exact=True).select_option("today")
    page.get_by_test_id("report-filters-apply").click()
    page.wait_for_url("**/reports/?period=today*")
    before = _attendances(page)

    # A customer writes; the worker stores the ticket and refreshes its attendance.
    _customer_writes(open_page("customer"), live_app)
    for _ in range(20):
        page.reload()
        if _attendances(page) == before + 1:
            break
        page.wait_for_timeout(500)
    assert _attendances(page) == before + 1
    page.wait_for_function("document.readyState === 'complete'")
    assert len(_charts_drawn(page)) == 4
    # The daily chart's table view, opened from the keyboard.
    table_view = page.locator(".report-chart details").first
    expect(table_view.locator("table")).to_be_hidden()
    table_view.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(table_view.locator("table")).to_be_visible()
    shot(page, "reports-1366")

    with page.expect_download() as download:
        page.get_by_test_id("export-agents").click()
    assert download.value.suggested_filename.startswith("agents-")
    assert download.value.suggested_filename.endswith(".csv")
    with page.expect_download() as download:
        page.get_by_test_id("export-agents-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with zipfile.ZipFile(download.value.path()) as workbook:
        assert "xl/worksheets/sheet1.xml" in workbook.namelist()


def test_on_a_phone_the_dashboard_fits_the_screen(live_app, open_page):
    page = open_page("ana")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_app, "ana", next_path="/reports/")
    expect(page.get_by_test_id("report-cards")).to_be_visible()
    expect(page.get_by_label("Período", exact=True)).to_be_visible()
    # An agent's report has no agent filter: it is theirs.
    expect(page.get_by_label("Atendente", exact=True)).to_have_count(0)
    page.wait_for_function("document.readyState === 'complete'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert len(_charts_drawn(page)) == 4
    shot(page, "reports-390")


def test_the_live_panel_moves_when_a_ticket_is_accepted_in_another_browser(live_app, open_page):
    admin = open_page("admin")
    sign_in(admin, live_app, "admin", next_path="/reports/live/")
    expect(admin.locator("#live-status")).to_have_text("Ao vivo")
    ana_row = admin.get_by_test_id("live-agent").filter(has_text="Ana Souza")
    ana_open = int(ana_row.get_by_test_id("live-agent-open").inner_text())

    # A customer writes: the support queue's waiting count moves without a reload.
    support = admin.locator("[data-testid=live-queue][data-queue=Suporte]")
    waiting = int(support.get_by_test_id("live-waiting").inner_text())
    admin.evaluate("window.__ttSameDocument = true")
    _customer_writes(open_page("customer"), live_app)
    expect(support.get_by_test_id("live-waiting")).to_have_text(str(waiting + 1))

    # Ana, in her own browser, accepts it: her open count moves on the admin's panel.
    ana = open_page("ana")
    sign_in(ana, live_app, "ana")
    ana.get_by_test_id("inbox-tab-pending").click()
    row = ana.get_by_test_id("inbox-row").filter(has_text="Quero acompanhar meu pedido").first
    row.locator(".ticket-link").click()
    ana.get_by_test_id("ticket-accept").click()
    expect(ana.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "open")
    expect(ana_row.get_by_test_id("live-agent-open")).to_have_text(str(ana_open + 1))
    expect(ana_row.get_by_test_id("live-presence")).to_have_text("Online")
    assert admin.evaluate("window.__ttSameDocument === true"), "the panel was reloaded"
    shot(admin, "reports-live")
