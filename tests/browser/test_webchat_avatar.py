"""The web chat's avatar in chromium, on a 390 px phone, in the tenant's pt-BR: the admin uploads
an image on the connection's page, the widget on the customer's site shows it in its header,
beside the agent's messages (the welcome), and the admin removes it again (confirming; the
shared widget is left as the other tests expect it)."""

from __future__ import annotations

import struct
import uuid
import zlib

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE_SIZE, no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _png(size: int = 64) -> bytes:
    """An orange square with a white square in its middle."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b""
    for y in range(size):
        row = b""
        for x in range(size):
            inside = size // 4 <= x < 3 * size // 4 and size // 4 <= y < 3 * size // 4
            row += b"\xff\xff\xff" if inside else b"\xf0\x80\x20"
        rows += b"\x00" + row
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# Resolves once the image has loaded (or at once when it already has).
LOADED = "img => img.complete ? null : new Promise(done => img.addEventListener('load', done))"


def test_the_widget_shows_the_avatar_the_admin_uploads_on_a_phone(live_app, open_page):
    admin = open_page("admin")
    admin.set_viewport_size(PHONE_SIZE)
    sign_in(admin, live_app, "admin", next_path=f"/manage/connections/{live_app.widget_id}/")
    form = admin.get_by_test_id("connection-form")
    form.get_by_label("Avatar").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": _png()}
    )
    # A welcome text at the same time: the settings checked again keep the new avatar.
    form.get_by_label("Texto de boas-vindas").fill("Olá! Como podemos ajudar?")
    form.get_by_role("button", name="Salvar").click()
    expect(admin.locator(".flash")).to_contain_text("salva")
    preview = admin.get_by_test_id("connection-avatar").get_by_role("img")
    expect(preview).to_be_visible()
    # Visible is not loaded: wait for the file itself (a busy live server answers late).
    preview.evaluate(LOADED)
    assert preview.evaluate("(img) => img.naturalWidth") == 64
    no_sideways_scroll(admin)
    shot(admin, "webchat-avatar-manage-phone")

    visitor = open_page("customer", viewport=PHONE_SIZE)
    visitor.goto(f"{live_app.site_url}/")
    visitor.get_by_test_id("tt-webchat-launcher").click()
    chat = visitor.frame_locator("[data-testid=tt-webchat-frame]")
    avatar = chat.get_by_test_id("tt-webchat-avatar")
    expect(avatar).to_be_visible()
    avatar.evaluate(LOADED)
    assert avatar.evaluate("(img) => img.naturalWidth") == 64
    box = avatar.bounding_box()
    assert box is not None
    assert round(box["width"]) == 32
    shot(visitor, "webchat-avatar-widget-phone")

    # Beside the agent's messages too (the welcome is the first of them).
    chat.get_by_test_id("tt-webchat-name").fill(f"Visitante {uuid.uuid4().hex[:6]}")
    chat.get_by_test_id("tt-webchat-start").click()
    welcome = chat.locator("[data-from=agent]").filter(has_text="Olá! Como podemos ajudar?")
    expect(welcome).to_be_visible()
    beside = welcome.evaluate("(li) => getComputedStyle(li, '::before').backgroundImage")
    assert f"/widget/{live_app.widget_id}/avatar?v=" in beside
    shot(visitor, "webchat-avatar-welcome-phone")

    # Removed (the confirmation accepted): the widget shows only its title again.
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_test_id("connection-avatar-remove").click()
    expect(admin.get_by_test_id("connection-avatar")).to_have_count(0)
    visitor.reload()
    visitor.get_by_test_id("tt-webchat-launcher").click()
    expect(chat.get_by_role("heading")).to_be_visible()
    expect(chat.get_by_test_id("tt-webchat-avatar")).to_have_count(0)

    # The shared widget goes back to no welcome text for the tests that follow.
    form = admin.get_by_test_id("connection-form")
    form.get_by_label("Texto de boas-vindas").fill("")
    form.get_by_role("button", name="Salvar").click()
    expect(admin.locator(".flash")).to_contain_text("salva")
