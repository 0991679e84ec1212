"""A quick reply with an image, in chromium: the agent uploads the image in /manage/, then picks
the reply in the composer; the image goes with the text as its caption and the panel shows it
sent (the worker delivered it through the outbound pipeline)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# The smallest valid PNG (1x1, transparent).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
WORKER = 20_000  # ms: what waits for the outbound worker and the live event


def test_picking_a_quick_reply_with_an_image_sends_the_image_with_its_caption(live_app, open_page):
    shortcut = f"foto{uuid.uuid4().hex[:4]}"
    customer = f"Lia {uuid.uuid4().hex[:6]}"
    page = open_page("alice", viewport={"width": 1366, "height": 768})
    sign_in(page, live_app, "alice", next_path="/manage/quick-replies/")

    # Upload the image with the new reply (English: Alice's language).
    form = page.get_by_test_id("quick-reply-form")
    form.get_by_label("Shortcut").fill(shortcut)
    form.get_by_label("Text").fill("Here is our catalogue, {{contact.first_name}}.")
    form.get_by_label("File").set_input_files(
        {"name": "catalogue.png", "mimeType": "image/png", "buffer": PNG}
    )
    form.get_by_role("button", name="Create").click()
    row = page.get_by_test_id("quick-reply-row").filter(has_text=f"/{shortcut}")
    expect(row.get_by_test_id("quick-reply-has-file")).to_contain_text("catalogue.png")

    # A customer writes on the shop's web chat; Alice accepts.
    site = open_page("customer")
    site.goto(f"{live_app.site_url}/")
    site.get_by_test_id("tt-webchat-launcher").click()
    chat = site.frame_locator("[data-testid=tt-webchat-frame]")
    chat.get_by_test_id("tt-webchat-name").fill(customer)
    chat.get_by_test_id("tt-webchat-start").click()
    chat.get_by_test_id("tt-webchat-text").fill("Do you have a catalogue?")
    chat.get_by_test_id("tt-webchat-send").click()
    expect(chat.get_by_test_id("tt-webchat-tick")).to_have_count(1)
    page.goto(f"{live_app.url}/?tab=pending")
    row = page.get_by_test_id("inbox-row").filter(has_text=customer)
    expect(row).to_be_visible()
    row.locator(".ticket-link").click()
    page.get_by_test_id("ticket-accept").click()
    expect(page.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "open")

    # "/" and the shortcut, Enter picks it: the text fills in and the file is shown.
    composer = page.get_by_test_id("composer-input")
    composer.press_sequentially(f"/{shortcut}")
    option = page.get_by_test_id("quick-reply-option").filter(has_text=f"/{shortcut}")
    expect(option).to_contain_text("catalogue.png")
    composer.press("Enter")
    expect(composer).to_have_value(f"Here is our catalogue, {customer.split()[0]}.")
    expect(page.get_by_test_id("composer-file")).to_contain_text("catalogue.png")
    expect(page.get_by_test_id("composer-file-clear")).to_be_visible()
    shot(page, "quick-reply-image-picked")
    composer.press("Enter")

    sent = page.get_by_test_id("message").filter(has_text="Here is our catalogue")
    expect(sent.locator("img.media-image")).to_have_attribute("alt", "catalogue.png")
    expect(sent.get_by_test_id("message-tick")).to_have_attribute(
        "data-status", re.compile("sent|delivered|read"), timeout=WORKER
    )
    expect(page.get_by_test_id("composer-file")).to_have_text("")
    expect(page.get_by_test_id("composer-file-clear")).to_be_hidden()
    # The customer gets the caption in the chat.
    expect(chat.get_by_text("Here is our catalogue")).to_be_visible(timeout=WORKER)
    shot(page, "quick-reply-image-sent")
