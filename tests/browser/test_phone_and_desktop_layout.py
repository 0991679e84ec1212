"""The dashboard on a 390x844 phone and a 1366x768 desktop, in chromium.

On the phone the main menu is closed behind its toggle and covers nothing (search, tabs, the
ticket header, "Aceitar" are all reachable); the agent accepts, replies, opens the contact
drawer and tags the contact (the header follows live), transfers and closes. On the desktop the
contact panel sits beside the conversation, a transfer out of the agent's queues closes the
panel with a toast, a deletion asks first and confirms it was done, and the API docs load
nothing from outside."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, expect

from dashboard.manage.views import MANAGE_PAGES
from tests.browser.conftest import AFTER_SALES, SALES, TAG, customer_writes, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}

# The element a tap at the centre of ``el`` reaches is ``el`` itself (or inside it): nothing
# (a menu, a sticky bar) lies over it.
REACHABLE = """el => {
  el.scrollIntoView({block: "center"});
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return !!hit && (hit === el || el.contains(hit));
}"""


def _reachable(locator: Locator) -> bool:
    return bool(locator.evaluate(REACHABLE))


def test_on_a_phone_an_agent_accepts_replies_tags_transfers_and_closes(live_app, open_page):
    customer = f"Rita {uuid.uuid4().hex[:6]}"
    page = open_page("ana", **PHONE)
    sign_in(page, live_app, "ana")

    # The menu is closed behind its toggle; search and tabs are there to tap
    expect(page.get_by_test_id("nav-toggle")).to_be_visible()
    expect(page.get_by_test_id("nav-inbox")).to_be_hidden()
    assert _reachable(page.get_by_test_id("inbox-search"))
    assert _reachable(page.get_by_test_id("inbox-tab-pending"))
    shot(page, "phone-1-inbox")
    page.get_by_test_id("nav-toggle").click()
    expect(page.get_by_test_id("nav-inbox")).to_be_visible()
    shot(page, "phone-2-menu-open")
    page.get_by_test_id("nav-toggle").click()
    expect(page.get_by_test_id("nav-inbox")).to_be_hidden()

    # A customer writes; the agent opens the ticket from the waiting tab and accepts it
    customer_writes(open_page("customer"), live_app, customer, "Oi, quero trocar um produto")
    page.get_by_test_id("inbox-tab-pending").click()
    row = page.get_by_test_id("inbox-row").filter(has_text=customer)
    row.locator(".ticket-link").click()
    panel = page.get_by_test_id("ticket-panel")
    expect(panel.get_by_test_id("ticket-contact-name")).to_have_text(customer)
    expect(page.get_by_test_id("inbox-search")).to_be_hidden()  # the list gave way
    accept = panel.get_by_test_id("ticket-accept")
    expect(accept).to_have_text("Aceitar")
    assert _reachable(accept)
    assert _reachable(panel.get_by_test_id("ticket-contact-name"))
    shot(page, "phone-3-ticket")
    accept.tap()
    expect(page.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "open")

    # Reply
    page.get_by_test_id("composer-input").fill("Claro! Qual o número do pedido?")
    page.get_by_test_id("composer-send").tap()
    expect(page.get_by_test_id("message").filter(has_text="Qual o número")).to_have_count(1)

    # The contact panel is a drawer: open it, tag the contact, the header follows live
    expect(page.get_by_test_id("contact-panel-slot")).to_be_hidden()
    page.get_by_test_id("contact-toggle").tap()
    drawer = page.get_by_test_id("contact-drawer")
    expect(drawer).to_be_visible()
    expect(drawer.get_by_test_id("contact-panel")).to_contain_text(customer)
    drawer.get_by_test_id("contact-tags-edit").click()
    # Other tests add tags to the shared tenant: the seeded one, by its name.
    drawer.get_by_role("checkbox", name=TAG).check()
    drawer.get_by_test_id("contact-tags-save").click()
    expect(drawer.get_by_test_id("contact-tag")).to_have_text(TAG)
    shot(page, "phone-4-contact-drawer")
    page.get_by_test_id("contact-drawer-close").tap()
    expect(drawer).to_be_hidden()
    expect(page.get_by_test_id("ticket-tags")).to_contain_text(TAG)

    # Transfer to Pós-venda keeping it, then close
    page.get_by_test_id("ticket-transfer").tap()
    dialog = page.get_by_test_id("transfer-dialog")
    expect(dialog).to_be_visible()
    shot(page, "phone-5-transfer")
    dialog.get_by_test_id("transfer-queue").select_option(label=AFTER_SALES)
    dialog.get_by_test_id("transfer-agent").select_option(label="Ana Souza")
    dialog.get_by_test_id("transfer-submit").tap()
    expect(page.get_by_test_id("ticket-queue")).to_have_text(AFTER_SALES)
    expect(page.get_by_test_id("timeline-event").filter(has_text=AFTER_SALES)).to_be_visible()
    page.once("dialog", lambda native: native.accept())
    page.get_by_test_id("ticket-close").tap()
    expect(page.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "closed")
    shot(page, "phone-6-closed")

    # Back to the list: the menu still covers nothing
    page.get_by_test_id("panel-back").tap()
    assert _reachable(page.get_by_test_id("inbox-search"))


def test_on_a_desktop_the_contact_panel_sits_beside_and_a_transfer_away_closes_the_panel(
    live_app, open_page
):
    customer = f"Otto {uuid.uuid4().hex[:6]}"
    page = open_page("ana", **DESKTOP)
    sign_in(page, live_app, "ana")
    expect(page.get_by_test_id("nav-inbox")).to_be_visible()
    expect(page.get_by_test_id("nav-toggle")).to_be_hidden()

    customer_writes(open_page("customer"), live_app, customer, "Preciso de um orçamento")
    page.get_by_test_id("inbox-tab-pending").click()
    row = page.get_by_test_id("inbox-row").filter(has_text=customer)
    row.locator(".ticket-link").click()
    expect(page.get_by_test_id("contact-panel")).to_contain_text(customer)
    expect(page.get_by_test_id("contact-toggle")).to_be_hidden()
    page.get_by_test_id("ticket-accept").click()
    expect(page.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "open")
    shot(page, "desktop-1-ticket")

    # To Vendas, a queue Ana is not in: the panel closes with a toast and the row goes
    page.get_by_test_id("ticket-transfer").click()
    dialog = page.get_by_test_id("transfer-dialog")
    dialog.get_by_test_id("transfer-queue").select_option(label=SALES)
    dialog.locator("#transfer-note").fill("Cliente quer atacado")
    dialog.get_by_test_id("transfer-submit").click()
    expect(page.get_by_test_id("panel-gone")).to_contain_text("Vendas")
    expect(page.locator("#toast")).to_contain_text("Ticket transferido para Vendas")
    expect(page.get_by_test_id("inbox-row").filter(has_text=customer)).to_have_count(0)
    shot(page, "desktop-2-transferred-away")


def test_a_deletion_asks_first_and_says_it_was_done(live_app, open_page):
    page = open_page("admin", **DESKTOP)
    sign_in(page, live_app, "admin", next_path="/manage/")
    # An admin sees a card for every administration page.
    expect(page.get_by_test_id("manage-card")).to_have_count(len(MANAGE_PAGES))
    shot(page, "desktop-3-manage-index")
    page.get_by_role("link", name="Etiquetas").first.click()
    form = page.get_by_test_id("tag-form")
    form.get_by_label("Nome").fill("Temporária")
    form.get_by_role("button", name="Criar").click()
    row = page.get_by_test_id("tag-row").filter(has_text="Temporária")
    expect(row).to_have_count(1)

    asked: list[str] = []

    def answer(accept: bool):
        def handler(native) -> None:
            asked.append(native.message)
            if accept:
                native.accept()
            else:
                native.dismiss()

        return handler

    page.once("dialog", answer(False))
    row.get_by_test_id("tag-delete").click()
    expect(row).to_have_count(1)  # dismissed: nothing deleted
    page.once("dialog", answer(True))
    row.get_by_test_id("tag-delete").click()
    expect(page.locator(".flash")).to_contain_text("Etiqueta Temporária excluída.")
    expect(page.get_by_test_id("tag-row").filter(has_text="Temporária")).to_have_count(0)
    assert len(asked) == 2
    assert "Temporária" in asked[0]
    assert "não pode ser desfeito" in asked[0]
    shot(page, "desktop-4-tag-deleted")


def test_the_api_docs_load_nothing_from_outside(live_app, open_page):
    page = open_page("admin", **DESKTOP)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    sign_in(page, live_app, "admin")

    page.goto(f"{live_app.url}/api/v1/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("TikTickets API")
    expect(page.locator(".opblock").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    shot(page, "desktop-5-api-docs")
    assert hosts == {urlsplit(live_app.url).netloc}, hosts
