"""The web chat widget on the customer's site (another origin): its token cookie is accepted by
chromium on plain-http ``*.localhost`` (a secure context) with ``Secure; SameSite=None;
Partitioned``, and the conversation survives a reload of the site."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_the_conversation_survives_a_reload_with_a_partitioned_secure_cookie(live_app, open_page):
    page = open_page("customer")
    page.goto(f"{live_app.site_url}/")
    page.get_by_test_id("tt-webchat-launcher").click()
    chat = page.frame_locator("[data-testid=tt-webchat-frame]")
    chat.get_by_test_id("tt-webchat-name").fill(f"João {uuid.uuid4().hex[:6]}")
    chat.get_by_test_id("tt-webchat-start").click()
    chat.get_by_test_id("tt-webchat-text").fill("Vocês entregam no sábado?")
    chat.get_by_test_id("tt-webchat-text").press("Enter")
    expect(chat.get_by_test_id("tt-webchat-tick")).to_have_count(1)

    cookies = [c for c in page.context.cookies() if c["name"].startswith("tt_wc_")]
    assert len(cookies) == 1, page.context.cookies()
    cookie = cookies[0]
    assert cookie["domain"] == "browser.localhost"
    assert cookie["path"] == f"/widget/{live_app.widget_id}/"
    assert cookie["secure"] is True
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "None"
    assert cookie.get("partitionKey") == "http://127.0.0.1", cookie  # per embedding site

    page.reload()
    page.get_by_test_id("tt-webchat-launcher").click()
    messages = chat.get_by_test_id("tt-webchat-message")
    expect(messages.filter(has_text="Vocês entregam no sábado?")).to_have_count(1)
    expect(chat.get_by_test_id("tt-webchat-start")).to_be_hidden()
    shot(page, "widget-after-reload")
