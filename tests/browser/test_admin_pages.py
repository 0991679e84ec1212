"""Daily configuration in chromium, without the Django admin: an admin's queue refused next to
its name and then created, the web chat's tag to paste; an agent's own quick reply. In the
tenant's pt-BR."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE_SIZE, no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_an_admin_manages_queues_and_sees_the_web_chat_snippet(live_app, open_page, browser_errors):
    page = open_page("admin")
    sign_in(page, live_app, "admin")
    page.get_by_test_id("nav-manage").click()
    page.get_by_test_id("nav-queues").click()
    expect(page.get_by_role("heading", name="Filas")).to_be_visible()

    # A name that is taken (any case) is refused next to the name field, in pt-BR.
    form = page.get_by_test_id("queue-form")
    form.get_by_label("Nome").fill("suporte")
    browser_errors.allow_status(400, "/manage/queues/")
    form.get_by_role("button", name="Criar").click()
    expect(form.locator(".has-error").get_by_label("Nome")).to_have_value("suporte")
    expect(form.locator(".field-error")).to_be_visible()
    shot(page, "admin-queue-refused")

    form = page.get_by_test_id("queue-form")
    form.get_by_label("Nome").fill("Financeiro")
    form.get_by_role("button", name="Criar").click()
    expect(page.get_by_test_id("queue-row").filter(has_text="Financeiro")).to_be_visible()

    # The web chat connection shows the tag to paste into the shop's site.
    page.get_by_role("link", name="Conexões").first.click()
    page.get_by_test_id("connection-row").filter(has_text="Site da loja").get_by_role(
        "link"
    ).first.click()
    expect(page.get_by_test_id("connection-snippet")).to_contain_text(
        f"/widget/{live_app.widget_id}.js"
    )
    shot(page, "admin-connection-snippet")


def test_an_agent_adds_a_quick_reply_of_her_own(live_app, open_page):
    page = open_page("ana")
    sign_in(page, live_app, "ana", next_path="/manage/quick-replies/")
    form = page.get_by_test_id("quick-reply-form")
    form.get_by_label("Atalho").fill("prazo")
    form.get_by_label("Texto").fill("Entregamos em até 5 dias úteis, {{contact.first_name}}.")
    form.get_by_role("button", name="Criar").click()
    expect(page.get_by_test_id("quick-reply-row").filter(has_text="/prazo")).to_be_visible()
    expect(page.get_by_test_id("quick-reply-row").filter(has_text="/prazo")).to_contain_text(
        "Minha"
    )


@pytest.mark.parametrize("path", ["/manage/api-keys/", "/manage/webhooks/", "/manage/inbound/"])
def test_the_integration_pages_fit_a_phone(live_app, open_page, path):
    """Their tables scroll inside their frame; the page itself never scrolls sideways."""
    page = open_page("admin", viewport=PHONE_SIZE)
    sign_in(page, live_app, "admin", next_path=path)
    expect(page.locator("h1")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "phone-" + path.strip("/").replace("/", "-"))
