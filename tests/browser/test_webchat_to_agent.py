"""The whole conversation in two browsers: a customer writes through the web chat widget on a
site of another origin; the ticket appears in the agent's inbox without a reload; the agent
accepts, answers with a quick reply, which the customer sees live; the agent transfers it to
another queue and closes it. In pt-BR (the tenant's language) and in English (an agent's own
preference). An agent outside the ticket's queues never sees it."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

LABELS = {
    "ana": {"waiting": "Aguardando", "accept": "Aceitar", "send": "Enviar", "closed": "Fechado"},
    "carla": {"waiting": "Waiting", "accept": "Accept", "send": "Send", "closed": "Closed"},
}
AGENT_NAMES = {"ana": "Ana Atendente", "carla": "Carla Agent"}


def _row(page, customer: str):
    return page.get_by_test_id("inbox-row").filter(has_text=customer)


@pytest.mark.parametrize("agent", ["ana", "carla"], ids=["pt-BR", "English"])
def test_a_web_chat_conversation_from_first_message_to_close(
    live_app, browser, console_errors, agent
):
    labels = LABELS[agent]
    customer = f"Cliente {uuid.uuid4().hex[:6]}"
    agent_page = console_errors.watch(browser.new_context().new_page())
    outsider_page = console_errors.watch(browser.new_context().new_page())
    customer_page = console_errors.watch(browser.new_context().new_page())

    # Given the agent and an agent outside the queue watch their waiting tickets
    sign_in(agent_page, live_app, agent)
    agent_page.get_by_test_id("inbox-tab-pending").click()
    expect(agent_page.get_by_test_id("inbox-tab-pending")).to_contain_text(labels["waiting"])
    expect(agent_page.get_by_test_id("inbox-tab-pending")).to_have_attribute("aria-current", "page")
    sign_in(outsider_page, live_app, "bruno")
    outsider_page.get_by_test_id("inbox-tab-pending").click()
    expect(outsider_page.get_by_test_id("inbox-tab-pending")).to_have_attribute(
        "aria-current", "page"
    )

    # When a customer writes through the widget on the shop's site
    customer_page.goto(live_app.site_origin + "/")
    customer_page.get_by_test_id("tt-webchat-launcher").click()
    chat = customer_page.frame_locator("[data-testid=tt-webchat-frame]")
    chat.get_by_test_id("tt-webchat-name").fill(customer)
    chat.get_by_test_id("tt-webchat-start").click()
    chat.get_by_test_id("tt-webchat-text").fill("Olá, meu pedido não chegou")
    chat.get_by_test_id("tt-webchat-send").click()
    shot(customer_page, f"{agent}-1-customer-writes")

    # Then the ticket appears in the agent's inbox without a reload
    row = _row(agent_page, customer)
    expect(row).to_be_visible(timeout=15_000)
    expect(row.get_by_test_id("inbox-row-preview")).to_contain_text("meu pedido")
    shot(agent_page, f"{agent}-2-inbox-live")

    # When the agent opens it, accepts and answers with the quick reply /ola
    row.locator(".ticket-link").click()
    panel = agent_page.get_by_test_id("ticket-panel")
    expect(panel.get_by_test_id("ticket-contact-name")).to_have_text(customer)
    panel.get_by_test_id("ticket-accept").click()
    expect(agent_page.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "open")
    composer = agent_page.get_by_test_id("composer-input")
    expect(agent_page.get_by_test_id("composer-send")).to_have_text(labels["send"])
    composer.fill("/ol")
    composer.press_sequentially("a")
    option = agent_page.get_by_test_id("quick-reply-option").filter(has_text="/ola")
    expect(option).to_be_visible()
    composer.press("Enter")  # picks the highlighted quick reply
    assert AGENT_NAMES[agent] in composer.input_value()
    assert customer.split()[0] in composer.input_value()
    composer.press("Enter")  # sends
    sent = agent_page.get_by_test_id("message").filter(has_text=AGENT_NAMES[agent])
    expect(sent).to_have_count(1)

    # Then the customer sees the reply live
    reply = chat.get_by_test_id("tt-webchat-message").filter(has_text=AGENT_NAMES[agent])
    expect(reply).to_be_visible(timeout=15_000)
    shot(customer_page, f"{agent}-3-customer-sees-reply")
    expect(sent.get_by_test_id("message-tick")).to_have_attribute("data-status", "sent")

    # When the agent transfers it to Pós-venda (keeping it) and closes it
    agent_page.get_by_test_id("ticket-transfer").click()
    dialog = agent_page.get_by_test_id("transfer-dialog")
    dialog.get_by_test_id("transfer-queue").select_option(label="Pós-venda")
    dialog.get_by_test_id("transfer-agent").select_option(label=AGENT_NAMES[agent])
    dialog.get_by_test_id("transfer-submit").click()
    expect(agent_page.get_by_test_id("ticket-queue")).to_have_text("Pós-venda")
    agent_page.once("dialog", lambda confirm: confirm.accept())
    agent_page.get_by_test_id("ticket-close").click()
    expect(agent_page.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "closed")
    expect(agent_page.get_by_test_id("ticket-status")).to_have_text(labels["closed"])
    expect(agent_page.get_by_test_id("timeline-event")).to_have_count(3)  # accepted, moved, closed
    shot(agent_page, f"{agent}-4-closed")

    # And the agent outside the queues never saw it, not even by its address
    ticket_id = agent_page.get_by_test_id("ticket-panel").get_attribute("data-ticket-id")
    expect(_row(outsider_page, customer)).to_have_count(0)
    outsider_page.goto(f"{live_app.url}/?ticket={ticket_id}")
    expect(outsider_page.get_by_test_id("panel-gone")).to_be_visible()
    expect(outsider_page.get_by_text(customer)).to_have_count(0)
    for tab in ("pending", "open", "closed"):
        outsider_page.get_by_test_id(f"inbox-tab-{tab}").click()
        expect(outsider_page.get_by_test_id("inbox-tab-" + tab)).to_have_attribute(
            "aria-current", "page"
        )
        expect(_row(outsider_page, customer)).to_have_count(0)
