"""The variable picker of the quick reply editor, in chromium and pt-BR: a button puts its
variable where the cursor is, and a text with an unknown variable comes back under its field."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_the_picker_inserts_at_the_cursor_and_an_unknown_variable_is_refused(
    live_app, open_page, browser_errors
):
    page = open_page("ana")
    sign_in(page, live_app, "ana", next_path="/manage/quick-replies/")
    form = page.get_by_test_id("quick-reply-form")
    body = form.get_by_label("Texto")
    body.fill("Olá, ! Tudo bem?")
    body.focus()
    body.evaluate("box => box.setSelectionRange(5, 5)")  # after "Olá, "
    form.get_by_test_id("variable-picker").get_by_role(
        "button", name="Primeiro nome do contato"
    ).click()
    expect(body).to_have_value("Olá, {{contact.first_name}}! Tudo bem?")
    expect(body).to_be_focused()
    shot(page, "quick-reply-variable-picker")

    body.fill("Olá {{contato.nome}}")
    form.get_by_label("Atalho").fill("errado")
    browser_errors.allow_status(400, "/manage/quick-replies/")
    form.get_by_role("button", name="Criar").click()
    form = page.get_by_test_id("quick-reply-form")
    expect(form.locator(".has-error .field-error")).to_contain_text(
        "Variável desconhecida {{contato.nome}}"
    )
    expect(form.get_by_label("Texto")).to_have_value("Olá {{contato.nome}}")
