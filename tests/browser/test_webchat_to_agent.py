"""The whole conversation in separate browsers: a customer writes through the web chat widget on
a site of another origin; the ticket appears in the agent's inbox without a reload; the agent
accepts and answers with a quick reply, which the customer sees live; the agent transfers it to
another queue and closes it, and the customer gets the farewell. In pt-BR (the tenant's
language) and in English (an agent's own preference): the dashboard speaks the agent's language,
what reaches the customer stays in the tenant's. An agent outside the ticket's queues, signed in
the whole time, never sees it."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import AFTER_SALES, FAREWELL, PEOPLE, WIDGET_TITLE, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# What each agent's dashboard says, as they read it.
LABELS = {
    "ana": {
        "waiting": "Aguardando",
        "accept": "Aceitar",
        "transfer": "Transferir",
        "send": "Enviar",
        "confirm_close": "Encerrar este ticket?",
        "open": "Aberto",
        "closed": "Fechado",
    },
    "alice": {
        "waiting": "Waiting",
        "accept": "Accept",
        "transfer": "Transfer",
        "send": "Send",
        "confirm_close": "Close this ticket?",
        "open": "Open",
        "closed": "Closed",
    },
}
# The quick reply's {{greeting}} is in the tenant's language whoever sends it.
GREETING = re.compile(r"^(Bom dia|Boa tarde|Boa noite), ")


def _row(page: Page, customer: str):
    return page.get_by_test_id("inbox-row").filter(has_text=customer)


def _mark_document(page: Page) -> None:
    """Tag the page's current document: a reload or a navigation would lose the tag (a
    ``history.pushState`` keeps it)."""
    page.evaluate("window.__ttSameDocument = true")


def _same_document(page: Page) -> bool:
    return page.evaluate("window.__ttSameDocument === true")


@pytest.mark.parametrize("agent", ["ana", "alice"], ids=["pt-BR", "English"])
def test_a_web_chat_conversation_from_first_message_to_close(live_app, open_page, agent):
    labels = LABELS[agent]
    agent_name = PEOPLE[agent].name
    customer = f"Maria {uuid.uuid4().hex[:6]}"
    agent_page = open_page(agent)
    outsider_page = open_page("bruno")
    customer_page = open_page("customer")

    # Given the agent and an agent of another queue, both signed in, watch their waiting tickets
    sign_in(agent_page, live_app, agent)
    pending_tab = agent_page.get_by_test_id("inbox-tab-pending")
    pending_tab.click()
    expect(pending_tab).to_have_attribute("aria-current", "page")
    expect(pending_tab).to_contain_text(labels["waiting"])
    sign_in(outsider_page, live_app, "bruno")
    outsider_page.get_by_test_id("inbox-tab-pending").click()
    expect(outsider_page.get_by_test_id("inbox-tab-pending")).to_have_attribute(
        "aria-current", "page"
    )
    _mark_document(agent_page)

    # When a customer opens the chat on the shop's own site and writes
    customer_page.goto(f"{live_app.site_url}/")
    launcher = customer_page.get_by_test_id("tt-webchat-launcher")
    expect(launcher).to_have_attribute("aria-label", WIDGET_TITLE)
    launcher.click()
    chat = customer_page.frame_locator("[data-testid=tt-webchat-frame]")
    expect(chat.get_by_test_id("tt-webchat-start")).to_have_text("Iniciar conversa")
    chat.get_by_test_id("tt-webchat-name").fill(customer)
    chat.get_by_test_id("tt-webchat-start").click()
    text = chat.get_by_test_id("tt-webchat-text")
    expect(text).to_have_attribute("placeholder", "Digite sua mensagem")
    text.fill("Olá, meu pedido não chegou")
    chat.get_by_test_id("tt-webchat-send").click()
    # the tick: the worker stored it on a ticket
    expect(chat.get_by_test_id("tt-webchat-tick")).to_have_count(1)
    shot(customer_page, f"flow-{agent}-1-customer-writes")

    # Then it appears in the agent's inbox, live
    row = _row(agent_page, customer)
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-status", "pending")
    expect(row.get_by_test_id("inbox-row-preview")).to_contain_text("meu pedido não chegou")
    expect(row.get_by_test_id("inbox-row-unread")).to_be_visible()
    assert _same_document(agent_page), "the inbox page was reloaded"
    ticket_id = row.get_attribute("data-ticket-id")
    assert ticket_id
    shot(agent_page, f"flow-{agent}-2-inbox-live")

    # When the agent opens it (its address is in the URL) and accepts it
    row.locator(".ticket-link").click()
    expect(agent_page).to_have_url(re.compile(rf"[?&]ticket={ticket_id}"))
    panel = agent_page.get_by_test_id("ticket-panel")
    expect(panel).to_have_attribute("data-ticket-id", ticket_id)
    expect(panel.get_by_test_id("ticket-contact-name")).to_have_text(customer)
    expect(agent_page.get_by_test_id("contact-panel")).to_contain_text(customer)
    expect(panel.get_by_test_id("ticket-accept")).to_have_text(labels["accept"])
    panel.get_by_test_id("ticket-accept").click()
    expect(agent_page.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "open")
    expect(agent_page.get_by_test_id("ticket-status")).to_have_text(labels["open"])

    # And answers with the quick reply: "/" opens the menu, Enter puts its text for this ticket
    composer = agent_page.get_by_test_id("composer-input")
    expect(agent_page.get_by_test_id("composer-send")).to_have_text(labels["send"])
    composer.press_sequentially("/ol")
    option = agent_page.get_by_test_id("quick-reply-option").filter(has_text="/ola")
    expect(option).to_be_visible()
    expect(option).to_have_attribute("data-shortcut", "ola")
    composer.press("Enter")
    expect(composer).to_have_value(GREETING)
    rendered = composer.input_value()
    assert rendered.endswith(f", {customer.split()[0]}! Aqui é {agent_name}."), rendered
    composer.press("Enter")  # sends
    sent = agent_page.get_by_test_id("message").filter(has_text=agent_name)
    expect(sent).to_have_count(1)
    expect(sent).to_have_attribute("data-from", "agent")

    # Then the customer sees the reply live, and the agent sees it was sent
    reply = chat.get_by_test_id("tt-webchat-message").filter(has_text=agent_name)
    expect(reply).to_have_text(rendered)
    expect(reply).to_have_attribute("data-from", "agent")
    expect(sent.get_by_test_id("message-tick")).to_have_attribute("data-status", "sent")
    shot(customer_page, f"flow-{agent}-3-customer-sees-reply")

    # When the agent transfers it to Pós-venda (keeping it)
    transfer = agent_page.get_by_test_id("ticket-transfer")
    expect(transfer).to_have_text(labels["transfer"])
    transfer.click()
    dialog = agent_page.get_by_test_id("transfer-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("transfer-queue").select_option(label=AFTER_SALES)
    dialog.get_by_test_id("transfer-agent").select_option(label=agent_name)
    dialog.get_by_test_id("transfer-submit").click()
    expect(agent_page.get_by_test_id("ticket-queue")).to_have_text(AFTER_SALES)
    expect(agent_page.get_by_test_id("ticket-assignee")).to_have_text(agent_name)

    # And closes it, confirming in their language
    confirmations: list[str] = []

    def confirm(native_dialog) -> None:
        confirmations.append(native_dialog.message)
        native_dialog.accept()

    agent_page.once("dialog", confirm)
    agent_page.get_by_test_id("ticket-close").click()
    expect(agent_page.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "closed")
    assert confirmations == [labels["confirm_close"]]
    expect(agent_page.get_by_test_id("ticket-status")).to_have_text(labels["closed"])
    expect(agent_page.get_by_test_id("timeline-event")).to_have_count(3)  # accepted, moved, closed
    shot(agent_page, f"flow-{agent}-4-closed")

    # Then the customer gets the farewell, live
    expect(chat.get_by_test_id("tt-webchat-message").filter(has_text=FAREWELL)).to_be_visible()
    shot(customer_page, f"flow-{agent}-5-customer-farewell")
    assert _same_document(agent_page), "the inbox page was reloaded"

    # And the agent outside the queues never saw it: in no tab, not even by its address
    expect(outsider_page.get_by_test_id("inbox-tab-pending")).to_have_attribute(
        "aria-current", "page"
    )
    expect(_row(outsider_page, customer)).to_have_count(0)
    # (one tab at a time: the tabs' requests are not synchronised, so clicking a tab while the
    # previous one still loads may end on the previous one)
    for tab in ("open", "closed"):
        outsider_page.get_by_test_id(f"inbox-tab-{tab}").click()
        expect(outsider_page.get_by_test_id(f"inbox-tab-{tab}")).to_have_attribute(
            "aria-current", "page"
        )
        expect(_row(outsider_page, customer)).to_have_count(0)
    outsider_page.goto(f"{live_app.url}/?ticket={ticket_id}")
    expect(outsider_page.get_by_test_id("panel-gone")).to_be_visible()
    expect(outsider_page.get_by_test_id("ticket-panel")).to_have_count(0)
    expect(outsider_page.get_by_text(customer)).to_have_count(0)
    shot(outsider_page, f"flow-{agent}-6-outsider-sees-nothing")
