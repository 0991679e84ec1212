"""The new-conversation page in chromium at 1366 and 390 px (issue 18 item 11): from the inbox's
header the agent searches the customer who wrote on the web chat and picks them; the web chat
cannot write first, and the customer's ticket already waiting on it is one tap away, which
opens it in the inbox; a typed number nobody has is normalised and gets the channels' reasons,
with no send button. Nothing scrolls sideways."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    DESKTOP_SIZE,
    PHONE_SIZE,
    customer_writes,
    no_sideways_scroll,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.mark.parametrize("size", [DESKTOP_SIZE, PHONE_SIZE], ids=["desktop", "phone"])
def test_an_agent_finds_the_customer_and_is_led_to_their_open_ticket(live_app, open_page, size):
    customer = f"Clara {uuid.uuid4().hex[:6]}"
    customer_writes(open_page("customer"), live_app, customer, "Vocês entregam no sábado?")
    page = open_page("ana", viewport=size)
    sign_in(page, live_app, "ana")

    page.get_by_test_id("inbox-new-conversation").click()
    expect(page.get_by_role("heading", name="Nova conversa")).to_be_visible()
    page.get_by_test_id("conversation-search").fill(customer)
    page.get_by_test_id("conversation-search").press("Enter")
    page.get_by_test_id("conversation-result").filter(has_text=customer).click()

    expect(page.get_by_test_id("conversation-recipient")).to_contain_text(customer)
    webchat = page.get_by_test_id("conversation-connection").filter(has_text="Site da loja")
    expect(webchat.get_by_role("radio")).to_be_disabled()
    expect(page.get_by_test_id("conversation-unavailable")).to_be_visible()
    expect(page.get_by_test_id("conversation-send")).to_have_count(0)
    no_sideways_scroll(page)
    shot(page, f"new-conversation-{size['width']}-contact")

    webchat.get_by_test_id("conversation-active-ticket").click()
    panel = page.get_by_test_id("ticket-panel")
    expect(panel.get_by_test_id("ticket-contact-name")).to_have_text(customer)

    # A number nobody has: normalised, and every channel says why it cannot write first.
    page.goto(f"{live_app.url}/conversations/new/")
    page.get_by_test_id("conversation-phone").fill("(11) 91234-5678")
    page.get_by_test_id("conversation-phone-use").click()
    expect(page.get_by_test_id("conversation-recipient")).to_contain_text("+5511912345678")
    options = page.get_by_test_id("conversation-connection")
    expect(
        page.locator("[data-testid=conversation-connection][data-provider=webchat]")
        .get_by_test_id("conversation-reason")
        .first
    ).to_contain_text("visitante")
    expect(
        page.locator("[data-testid=conversation-connection][data-provider=telegram]")
        .get_by_test_id("conversation-reason")
        .first
    ).to_contain_text("Telegram")
    expect(options.and_(page.locator("[data-available='1']"))).to_have_count(0)
    expect(page.get_by_test_id("conversation-send")).to_have_count(0)
    no_sideways_scroll(page)
    shot(page, f"new-conversation-{size['width']}-phone-number")
