"""The browser tests' own guard: errors in any page, the widget's cross-origin frame included,
and failed HTTP answers are collected (so a browser test with none of them proves something)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_errors_in_the_widget_frame_and_failed_answers_are_collected(
    live_app, open_page, browser_errors
):
    page = open_page("customer")
    page.goto(f"{live_app.site_url}/")
    page.get_by_test_id("tt-webchat-launcher").click()
    expect(
        page.frame_locator("[data-testid=tt-webchat-frame]").get_by_test_id("tt-webchat-start")
    ).to_be_visible()
    frame = page.frame(url=re.compile(r"/widget/[0-9a-f-]+/$"))
    assert frame is not None

    with page.expect_event("pageerror"):
        frame.evaluate("setTimeout(() => { throw new Error('thrown in the frame'); })")
    with page.expect_console_message(lambda message: message.type == "error"):
        frame.evaluate("console.error('logged in the frame')")
    with page.expect_response(lambda response: response.status == 404):
        frame.evaluate("fetch('/widget/no-such-thing/')")

    found = "\n".join(browser_errors.found)
    assert "page error: thrown in the frame" in found
    assert "logged in the frame" in found
    assert "HTTP 404 GET http://browser.localhost" in found
    assert len(browser_errors.found) == 3
    browser_errors.found.clear()  # seen; the fixture's final check must pass
