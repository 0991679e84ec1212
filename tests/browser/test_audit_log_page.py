"""An admin's change shows up in the tenant's audit log, readable in pt-BR at phone and desktop
widths, and the log is filtered from the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP_SIZE, PHONE_SIZE, no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_an_admin_reads_her_change_in_the_audit_log(live_app, open_page):
    page = open_page("admin", viewport=DESKTOP_SIZE)
    sign_in(page, live_app, "admin", next_path="/manage/tags/")
    form = page.get_by_test_id("tag-form")
    form.get_by_label("Nome").fill("Auditoria-VIP")
    form.get_by_role("button", name="Criar").click()
    expect(page.get_by_text("Auditoria-VIP").first).to_be_visible()

    page.get_by_test_id("manage-nav-audit").click()
    expect(page.get_by_role("heading", name="Registro de auditoria")).to_be_visible()
    row = page.get_by_test_id("audit-row").filter(has_text="Auditoria-VIP").first
    expect(row).to_contain_text("Etiqueta criada")
    expect(row.get_by_test_id("audit-changes")).to_contain_text("Auditoria-VIP")

    # Filtering by the action from the keyboard: choose it, then Enter submits the form.
    page.get_by_test_id("audit-filter-action").select_option("tag.created")
    page.get_by_test_id("audit-filter-q").fill("Auditoria-VIP")
    page.get_by_test_id("audit-filter-q").press("Enter")
    expect(page.get_by_test_id("audit-row")).to_have_count(1)
    shot(page, "audit-log-desktop")

    phone = open_page("admin-phone", viewport=PHONE_SIZE)
    sign_in(phone, live_app, "admin", next_path="/manage/audit/")
    expect(phone.get_by_test_id("audit-row").first).to_be_visible()
    no_sideways_scroll(phone)
    shot(phone, "audit-log-phone")
