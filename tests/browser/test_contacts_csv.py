"""A contacts CSV in chromium, at 1366x768 and 390x844: the admin uploads a pt-BR file, the
preview shows the columns, the first rows and the contact that already exists, nothing is
imported until the admin picks to update it and starts; the report lists the bad row with its
field in Portuguese. The export link downloads the ";" file with Portuguese headers."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TAG, no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}


def test_an_admin_previews_an_import_chooses_and_reads_the_report(live_app, open_page, tmp_path):
    run = uuid.uuid4().int % 10_000
    first, second = f"1198877{run:04d}", f"1198866{run:04d}"
    page = open_page("admin-desktop", **DESKTOP)
    sign_in(page, live_app, "admin", next_path="/contacts/")

    # One contact exists; the file has it again, a new one, and a row with a bad e-mail.
    page.get_by_test_id("contact-new").click()
    page.locator("#id_name").fill("Cliente Antigo")
    page.locator("#id_phone").fill(first)
    page.locator("form[data-testid=contact-form] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/contacts/new/"))
    # Searched for, not looked for on the first page: other tests leave contacts in this tenant
    # whose names sort before it.
    page.goto(f"{live_app.url}/contacts/?q={first}")
    expect(page.get_by_test_id("contact-list")).to_contain_text("Cliente Antigo")

    csv_file = tmp_path / "clientes.csv"
    csv_file.write_text(
        "Nome;Telefone;E-mail;Etiquetas\n"
        f"Cliente Novo Nome;{first};novo@example.com;{TAG}\n"
        f"Bia Lima;{second};;{TAG}\n"
        f"Caio;119{run:04d}5555;não-é-email;\n",
        encoding="utf-8",
    )
    page.get_by_test_id("contact-import").click()
    page.locator("#id_file").set_input_files(str(csv_file))
    page.get_by_test_id("import-form").locator("button[type=submit]").click()

    expect(page.get_by_test_id("import-columns")).to_contain_text("“Etiquetas” → Etiquetas")
    expect(page.get_by_test_id("import-preview-error")).to_contain_text("E-mail")
    conflict = page.get_by_test_id("import-conflict")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text("Cliente Antigo")
    no_sideways_scroll(page)
    shot(page, "contacts-import-preview-1366")

    phone = open_page("admin-phone", **PHONE)
    sign_in(phone, live_app, "admin", next_path=page.url.split(live_app.url, 1)[1])
    expect(phone.get_by_test_id("import-confirm-form")).to_be_visible()
    no_sideways_scroll(phone)
    # Wide tables scroll inside their box: nothing reaches past the phone's 390 px.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "contacts-import-preview-390")

    page.get_by_label("Quero escolher, contato por contato").check()
    conflict.get_by_role("checkbox").check()
    page.get_by_test_id("import-start").click()
    progress = page.get_by_test_id("import-progress")
    expect(progress).to_have_attribute("data-status", "done", timeout=20_000)
    expect(page.get_by_test_id("import-counts")).to_contain_text("1 criados, 1 atualizados, 1")
    expect(page.get_by_test_id("import-errors")).to_contain_text("E-mail")
    shot(page, "contacts-import-report-1366")

    page.goto(f"{live_app.url}/contacts/?q={first}")
    expect(page.get_by_test_id("contact-list")).to_contain_text("Cliente Novo Nome")
    expect(page.get_by_test_id("contact-list")).to_contain_text(TAG)

    with page.expect_download() as download:
        page.get_by_test_id("contact-export").click()
    text = download.value.path().read_bytes().decode("utf-8")
    assert text.startswith("\ufeffNome;Telefone;E-mail;Etiquetas;Responsáveis;")
    assert f"Bia Lima;+55{second};;{TAG};" in text
