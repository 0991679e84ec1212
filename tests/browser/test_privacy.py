"""Data rights in chromium, at 1366x768 and 390x844: an admin exports a contact (confirmed),
follows the request in the log until it is fulfilled and downloads the ZIP; then erases the
contact from the confirmation that names what goes, and the contact page says "Contato
eliminado nº ..."."""

from __future__ import annotations

import json
import uuid
import zipfile

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}


def test_an_admin_exports_then_erases_a_contact(live_app, open_page):
    run = uuid.uuid4().int % 10_000
    name = f"Titular Privacidade {run:04d}"
    page = open_page("admin-desktop", **DESKTOP)
    sign_in(page, live_app, "admin", next_path="/contacts/")
    page.get_by_test_id("contact-new").click()
    page.locator("#id_name").fill(name)
    page.locator("#id_phone").fill(f"1197755{run:04d}")
    page.locator("form[data-testid=contact-form] button[type=submit]").click()
    page.goto(f"{live_app.url}/contacts/?q={run:04d}")
    page.get_by_role("link", name=name).click()

    rights = page.get_by_test_id("contact-data-rights")
    expect(rights).to_be_visible()
    shot(page, "privacy-contact-1366")
    contact_path = page.url.split(live_app.url, 1)[1]
    page.once("dialog", lambda dialog: dialog.accept())
    rights.get_by_test_id("contact-export").click()
    page.wait_for_url(f"{live_app.url}/manage/privacy/")
    row = page.get_by_test_id("privacy-request").filter(has_text=name).first
    expect(row).to_have_attribute("data-status", "done", timeout=30_000)
    no_sideways_scroll(page)
    shot(page, "privacy-log-1366")
    with page.expect_download() as download:
        row.get_by_test_id("privacy-download").click()
    archive = zipfile.ZipFile(download.value.path())
    assert json.loads(archive.read("contact.json"))["profile"]["name"] == name

    phone = open_page("admin-phone", **PHONE)
    sign_in(phone, live_app, "admin", next_path=contact_path)
    expect(phone.get_by_test_id("contact-data-rights")).to_be_visible()
    no_sideways_scroll(phone)
    shot(phone, "privacy-contact-390")
    phone.goto(f"{live_app.url}/manage/privacy/")
    expect(phone.get_by_test_id("privacy-log")).to_contain_text(name)
    no_sideways_scroll(phone)
    shot(phone, "privacy-log-390")

    page.goto(f"{live_app.url}/contacts/?q={run:04d}")
    page.get_by_role("link", name=name).click()
    page.get_by_test_id("contact-erase").click()
    scope = page.get_by_test_id("privacy-erase-scope")
    expect(scope).to_contain_text("Contato eliminado nº")
    shot(page, "privacy-erase-confirm-1366")
    phone.goto(page.url)
    expect(phone.get_by_test_id("privacy-erase-form")).to_be_visible()
    no_sideways_scroll(phone)
    shot(phone, "privacy-erase-confirm-390")

    page.get_by_test_id("privacy-erase-confirm").click()
    page.wait_for_url(f"{live_app.url}/manage/privacy/")
    erased = page.get_by_test_id("privacy-request").filter(has_text="Contato eliminado nº")
    expect(erased.first).to_have_attribute("data-status", "done", timeout=30_000)
    expect(page.get_by_test_id("privacy-log")).not_to_contain_text(name)
    shot(page, "privacy-log-after-erasure-1366")
