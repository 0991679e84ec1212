"""Campaigns in chromium at 1366 and 390 px: the admin creates a campaign from a tag on the
campaign form, starts it, and watches the progress bar move live (over /ws/, no reload) to
100 %; a second, slower campaign is cancelled midway and nothing more goes out; a third carries
an image (previewed on the form, shown on the campaign page) that every recipient gets as a
photo with their caption. Nothing scrolls sideways."""

from __future__ import annotations

import struct
import time
import uuid
import zlib

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, ContactIdentity, Tag
from tenants.models import Tenant
from tenants.tenancy import tenant_scope
from tests.browser.conftest import (
    DESKTOP_SIZE,
    PHONE_SIZE,
    SLUG,
    no_sideways_scroll,
    shot,
    sign_in,
)
from tests.support.concurrency import in_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _tagged_contacts(count: int) -> tuple[str, list[str]]:
    """A new tag on ``count`` new contacts who have a chat with the shop's Telegram bot;
    returns the tag's name and the chat ids."""
    marker = uuid.uuid4().hex[:6]
    tag_name = f"Campanha {marker}"

    def seed() -> list[str]:
        with tenant_scope(Tenant.objects.get(schema_name=SLUG)):
            tag = Tag.objects.create(name=tag_name)
            chats = []
            for i in range(count):
                contact = Contact.objects.create(name=f"Cliente {marker} {i}")
                contact.tags.add(tag)
                chat = f"77{int(marker, 16) % 10**6:06d}{i:03d}"
                ContactIdentity.objects.create(
                    contact=contact, provider="telegram", external_id=chat
                )
                chats.append(chat)
            return chats

    return tag_name, in_thread(seed)


def _create(page, live_app, name: str, tag_name: str, per_minute: int) -> None:
    page.goto(f"{live_app.url}/manage/campaigns/new/")
    page.locator("#id_name").fill(name)
    bot = page.locator("#id_connection option", has_text="Bot da loja").get_attribute("value")
    page.locator("#id_connection").select_option(bot)
    page.locator("#id_variant_1").fill("Oi {{contact.first_name}}, temos novidades!")
    page.locator("#id_per_minute").fill(str(per_minute))
    page.get_by_label(tag_name).check()
    page.get_by_test_id("campaign-form").locator("button[type=submit]").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def _sends_to(live_app, chats: list[str]) -> int:
    wanted = set(chats)
    return sum(1 for r in live_app.simulator.sends() if str(r.body.get("chat_id")) in wanted)


@pytest.mark.parametrize("size", [DESKTOP_SIZE, PHONE_SIZE], ids=["desktop", "phone"])
def test_a_campaign_from_a_tag_fills_its_bar_live_and_another_is_cancelled(
    live_app, open_page, size
):
    tag_name, chats = _tagged_contacts(6)
    slow_tag, slow_chats = _tagged_contacts(20)
    page = open_page("admin", viewport=size)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_app, "admin")

    name = f"Novidades {tag_name[-6:]}"
    _create(page, live_app, name, tag_name, per_minute=60)
    expect(page.get_by_test_id("campaign-counts").locator("[data-count=total]")).to_have_text("6")
    shot(page, f"campaign-{size['width']}-draft")
    page.get_by_test_id("campaign-start").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Em andamento")
    # A mark on this document: it survives only as long as the page is not reloaded.
    page.evaluate("window.__sameDocument = true")
    percent = page.get_by_test_id("campaign-percent")
    expect(percent).not_to_have_text("0", timeout=15_000)
    moved_live = page.evaluate("window.__sameDocument === true")
    value = int(percent.inner_text())
    assert value > 0
    expect(page.get_by_test_id("campaign-bar")).to_have_attribute("value", str(value))
    expect(percent).to_have_text("100", timeout=30_000)
    expect(page.get_by_test_id("campaign-status")).to_have_text("Concluída", timeout=10_000)
    assert moved_live, "the bar moved only after a reload"
    expect(page.get_by_test_id("campaign-counts").locator("[data-count=sent]")).to_have_text("6")
    assert _sends_to(live_app, chats) == 6
    no_sideways_scroll(page)
    shot(page, f"campaign-{size['width']}-finished")

    # A slower one (one a second), cancelled after a few messages.
    _create(page, live_app, f"Lenta {slow_tag[-6:]}", slow_tag, per_minute=60)
    page.get_by_test_id("campaign-start").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Em andamento")
    expect(page.get_by_test_id("campaign-counts").locator("[data-count=sent]")).not_to_have_text(
        "0", timeout=15_000
    )
    page.get_by_test_id("campaign-cancel").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Cancelada")
    sent_at_cancel = _sends_to(live_app, slow_chats)
    time.sleep(2.5)  # one a second: anything still going out would show by now
    assert _sends_to(live_app, slow_chats) == sent_at_cancel
    assert 0 < sent_at_cancel < 20
    cancelled = page.get_by_test_id("campaign-counts").locator("[data-count=cancelled]")
    assert int(cancelled.inner_text()) == 20 - sent_at_cancel
    no_sideways_scroll(page)
    shot(page, f"campaign-{size['width']}-cancelled")


def _png(width: int = 240, height: int = 140) -> bytes:
    """A real PNG (a colour gradient) the browser decodes and shows as a thumbnail."""
    rows = b"".join(
        b"\0" + b"".join(bytes((x % 256, y * 255 // height, 160)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [DESKTOP_SIZE, PHONE_SIZE], ids=["desktop", "phone"])
def test_a_campaign_with_an_image_previews_it_and_sends_it_with_each_caption(
    live_app, open_page, size
):
    tag_name, chats = _tagged_contacts(3)
    page = open_page("admin", viewport=size)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_app, "admin")
    name = f"Foto {tag_name[-6:]}"

    page.goto(f"{live_app.url}/manage/campaigns/new/")
    page.locator("#id_name").fill(name)
    bot = page.locator("#id_connection option", has_text="Bot da loja").get_attribute("value")
    page.locator("#id_connection").select_option(bot)
    page.locator("#id_variant_1").fill("Oi {{contact.first_name}}, olha a foto!")
    file = {"name": "vitrine.png", "mimeType": "image/png", "buffer": _png()}
    # A file chosen by mistake is taken back before anything is uploaded.
    page.locator("#id_media_1").set_input_files(files=[file])
    preview = page.get_by_test_id("media-preview").first
    expect(preview.get_by_test_id("media-preview-image")).to_be_visible()
    expect(preview.get_by_test_id("media-preview-name")).to_contain_text("vitrine.png")
    shot(page, f"campaign-media-{size['width']}-preview")
    preview.get_by_test_id("media-preview-remove").click()
    expect(preview).to_be_hidden()
    assert page.locator("#id_media_1").evaluate("input => input.files.length") == 0
    page.locator("#id_media_1").set_input_files(files=[file])
    expect(preview.get_by_test_id("media-preview-image")).to_be_visible()
    page.locator("#id_per_minute").fill("60")
    page.get_by_label(tag_name).check()
    no_sideways_scroll(page)
    page.get_by_test_id("campaign-form").locator("button[type=submit]").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()

    image = page.get_by_test_id("campaign-file-image")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 240
    no_sideways_scroll(page)
    shot(page, f"campaign-media-{size['width']}-draft")
    page.get_by_test_id("campaign-start").click()
    expect(page.get_by_test_id("campaign-percent")).to_have_text("100", timeout=30_000)
    expect(page.get_by_test_id("campaign-counts").locator("[data-count=sent]")).to_have_text("3")
    shot(page, f"campaign-media-{size['width']}-finished")

    wanted = set(chats)
    sends = [r for r in live_app.simulator.sends() if str(r.body.get("chat_id")) in wanted]
    assert sorted(str(r.body["chat_id"]) for r in sends) == sorted(chats)
    assert {r.method for r in sends} == {"sendPhoto"}
    # Each contact is "Cliente <marker> <n>": the caption names them by first name.
    assert [r.body["caption"] for r in sends] == ["Oi Cliente, olha a foto!"] * 3
    # The image is uploaded with the first send (with two at once, each may) and the others
    # name the file_id Telegram gave the bot for it: not one upload per contact.
    uploads = [r for r in sends if r.body["photo"] == "<file>"]
    assert 1 <= len(uploads) < len(sends)
    file_ids = live_app.simulator.telegram_file_ids
    assert all(r.body["photo"] in file_ids for r in sends if r not in uploads)
    assert all(r.status == 200 for r in sends)
