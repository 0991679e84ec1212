"""The reply composer and the typing indicators, in chromium at 1366x768 and 390x844, between
a customer in the web chat widget on the shop's site and Ana in her panel: each sees the other
typing; Ana picks an emoji from the keyboard, previews and removes a file, pastes a picture
from the clipboard and sends it, and records a voice note with the (fake) microphone, which
reaches the customer and is stored as Ogg/Opus that the browser can decode."""

from __future__ import annotations

import base64
import struct
import uuid
import zlib

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SIZES = {
    "desktop": {"viewport": {"width": 1366, "height": 768}},
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
}

PASTE = """([id, b64]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "image.png", { type: "image/png" }));
  const field = document.getElementById(id);
  field.focus();
  const paste = { clipboardData: data, bubbles: true, cancelable: true };
  field.dispatchEvent(new ClipboardEvent("paste", paste));
}"""

DECODE = """async (url) => {
  const answer = await fetch(url, { credentials: "same-origin" });
  const context = new OfflineAudioContext(1, 48000, 48000);
  const sound = await context.decodeAudioData(await answer.arrayBuffer());
  return [answer.headers.get("content-type"), sound.duration];
}"""


def _png(width: int = 24, height: int = 16) -> bytes:
    """A small real PNG (a green rectangle)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x0b\x7a\x5c" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _customer_starts(page: Page, live_app, customer: str):
    page.goto(f"{live_app.site_url}/")
    page.get_by_test_id("tt-webchat-launcher").click()
    chat = page.frame_locator("[data-testid=tt-webchat-frame]")
    chat.get_by_test_id("tt-webchat-name").fill(customer)
    chat.get_by_test_id("tt-webchat-start").click()
    chat.get_by_test_id("tt-webchat-text").fill("Oi, preciso de ajuda")
    chat.get_by_test_id("tt-webchat-send").click()
    expect(chat.get_by_test_id("tt-webchat-tick")).to_have_count(1)
    return chat


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_composer_tools_and_typing_both_ways(live_app, open_page, size):
    customer = f"Lia {uuid.uuid4().hex[:6]}"
    page = open_page("ana", **SIZES[size])
    sign_in(page, live_app, "ana")
    customer_page = open_page("customer", **SIZES[size])
    chat = _customer_starts(customer_page, live_app, customer)

    page.get_by_test_id("inbox-tab-pending").click()
    page.get_by_test_id("inbox-row").filter(has_text=customer).locator(".ticket-link").click()
    page.get_by_test_id("ticket-accept").click()
    expect(page.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "open")
    composer = page.get_by_test_id("composer-input")

    # The customer types: Ana sees it; the customer stops (empties the box): it goes away
    chat.get_by_test_id("tt-webchat-text").press_sequentially("Ainda")
    indicator = page.get_by_test_id("typing-indicator")
    expect(indicator).to_have_text(f"{customer} está digitando…")
    chat.get_by_test_id("tt-webchat-text").fill("")
    expect(indicator).to_be_hidden()

    # Ana types: the customer sees someone is typing, without her name; she stops: it goes away
    composer.press_sequentially("Um")
    typing = chat.get_by_test_id("tt-webchat-typing")
    expect(typing).to_have_text("O atendente está digitando…")
    shot(page, f"composer-{size}-1-typing")
    shot(customer_page, f"composer-{size}-1-customer-sees-typing")
    composer.fill("")
    expect(typing).to_have_text("")

    # An emoji, found by searching without accents and picked with the keyboard
    emoji = page.get_by_test_id("composer-emoji")
    emoji.click()
    expect(emoji).to_have_attribute("aria-expanded", "true")
    search = page.get_by_test_id("emoji-search")
    expect(search).to_be_focused()
    page.keyboard.type("coracao verde")
    expect(page.get_by_test_id("emoji-option")).to_have_count(1)
    expect(page.get_by_test_id("emoji-option")).to_have_attribute("aria-label", "coração verde")
    shot(page, f"composer-{size}-2-emoji")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_test_id("emoji-option")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("emoji-panel")).to_be_hidden()
    expect(composer).to_have_value("💚")
    expect(composer).to_be_focused()
    composer.press("Escape")
    emoji.focus()
    page.keyboard.press("Enter")
    expect(search).to_be_focused()
    page.keyboard.press("Escape")  # closes and gives the focus back to the button
    expect(page.get_by_test_id("emoji-panel")).to_be_hidden()
    expect(emoji).to_be_focused()
    composer.press("End")
    composer.press_sequentially(" Obrigada!")
    composer.press("Enter")
    thanks = chat.get_by_test_id("tt-webchat-message").filter(has_text="💚 Obrigada!")
    expect(thanks).to_be_visible()

    # A file picked with the styled button is previewed (name and size) and can be removed
    expect(page.get_by_test_id("composer-attach-button")).to_be_visible()
    page.get_by_test_id("composer-attach").set_input_files(
        files=[{"name": "pedido.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n"}]
    )
    preview = page.get_by_test_id("composer-preview")
    expect(preview.get_by_test_id("composer-preview-name")).to_have_text("pedido.pdf")
    expect(preview.get_by_test_id("composer-preview-size")).to_have_text("9 B")
    expect(preview.get_by_test_id("composer-thumb")).to_be_hidden()
    # an internal note has no files: said before sending, and sending waits
    note_toggle = page.get_by_test_id("composer-note-toggle")
    note_toggle.check()
    expect(preview.get_by_test_id("composer-voice-fate")).to_have_text(
        "Uma nota interna não tem anexos: remova o arquivo antes."
    )
    expect(page.get_by_test_id("composer-send")).to_be_disabled()
    note_toggle.uncheck()
    expect(page.get_by_test_id("composer-send")).to_be_enabled()
    preview.get_by_test_id("composer-remove").click()
    expect(preview).to_be_hidden()

    # A picture pasted from the clipboard becomes the attachment, with its thumbnail; sent
    page.evaluate(PASTE, ["composer-input", base64.b64encode(_png()).decode()])
    expect(preview.get_by_test_id("composer-thumb")).to_be_visible()
    expect(preview.get_by_test_id("composer-preview-name")).to_contain_text("imagem-colada-")
    no_sideways_scroll(page)
    shot(page, f"composer-{size}-3-pasted-image")
    page.get_by_test_id("composer-send").click()
    sent_image = page.get_by_test_id("message").locator("img.media-image")
    expect(sent_image).to_have_count(1)
    expect(preview).to_be_hidden()
    expect(
        chat.get_by_test_id("tt-webchat-message").filter(has_text="imagem-colada-")
    ).to_be_visible()

    # A voice note: recorded, listened to before sending, told how the channel delivers it
    record = page.get_by_test_id("composer-record")
    expect(record).to_be_visible()
    record.click()
    expect(page.get_by_test_id("composer-recording")).to_be_visible()
    page.wait_for_timeout(1500)
    page.get_by_test_id("composer-record-stop").click()
    expect(preview.get_by_test_id("composer-audio")).to_be_visible()
    fate = preview.get_by_test_id("composer-voice-fate")
    expect(fate).to_contain_text("arquivo de áudio")  # the web chat has no voice notes
    expect(page.get_by_test_id("composer-send")).to_be_enabled()
    # text beside a voice note is refused before sending
    composer.fill("ouça")
    expect(page.get_by_test_id("composer-send")).to_be_disabled()
    composer.fill("")
    expect(page.get_by_test_id("composer-send")).to_be_enabled()
    no_sideways_scroll(page)
    shot(page, f"composer-{size}-4-voice-note")
    page.get_by_test_id("composer-send").click()
    sent_audio = page.get_by_test_id("message").locator("audio")
    expect(sent_audio).to_have_count(1)
    mime, seconds = page.evaluate(DECODE, sent_audio.get_attribute("src"))
    assert mime == "audio/ogg"  # rewrapped from chromium's WebM
    assert 1.0 < seconds < 3.0
    expect(
        chat.get_by_test_id("tt-webchat-message").filter(has_text="voice-note.ogg")
    ).to_be_visible()
    shot(page, f"composer-{size}-5-sent")
    shot(customer_page, f"composer-{size}-5-customer-received")
