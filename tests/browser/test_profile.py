"""The profile page in chromium at a desktop's and a phone's width: the preferences, the photo
and the devices, usable by label and without sideways scrolling; the two sound preferences set
there are what the inbox plays for a new waiting ticket and for a new message in one's ticket,
and the tab's title counts the unread messages of one's tickets live. In the tenant's pt-BR."""

from __future__ import annotations

import struct
import uuid
import zlib

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _png(size: int = 16, rgb: tuple[int, int, int] = (11, 122, 92)) -> bytes:
    """A small one-colour PNG (a photo that shows in the screenshots)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


PNG = _png()
# Counts the chimes the page plays (the inbox's sound is static/sounds/notification.wav), and
# keeps the headless browser from refusing them for want of a gesture.
COUNT_TONES = """
window.__ttTones = 0;
HTMLMediaElement.prototype.play = function () {
  if (/notification\\.wav$/.test(this.src)) window.__ttTones += 1;
  return Promise.resolve();
};
"""
TITLE = "Caixa de entrada · TikTickets"


def _fits_the_width(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)], ids=["desktop", "phone"])
def test_an_agent_sets_up_her_profile(live_app, open_page, width, height):
    page = open_page(f"bruno-{width}", permissions=["notifications"])
    page.set_viewport_size({"width": width, "height": height})
    other_device = open_page(f"bruno-{width}-other-device")
    sign_in(other_device, live_app, "bruno")
    sign_in(page, live_app, "bruno")

    # The profile is linked from every screen (on a phone, behind the menu)
    page.get_by_test_id("nav-profile").click()
    expect(page.get_by_role("heading", name="Meu perfil")).to_be_visible()
    assert _fits_the_width(page)

    form = page.get_by_test_id("profile-form")
    form.get_by_label("Assinatura", exact=True).fill("Bruno · Vendas")
    form.get_by_label("Assinar minhas mensagens").check()
    form.get_by_label("Tocar um som para novos tickets").check()
    form.get_by_label("Tocar um som para novas mensagens").check()
    form.get_by_label("Mostrar notificações na área de trabalho").check()
    form.get_by_label("Foto", exact=True).set_input_files(
        {"name": "eu.png", "mimeType": "image/png", "buffer": PNG}
    )
    form.get_by_role("button", name="Salvar").click()

    expect(page.get_by_role("status")).to_contain_text("Perfil salvo.")
    photo = page.get_by_test_id("profile-avatar")
    expect(photo).to_be_visible()
    photo.evaluate(
        "img => img.complete ? null : new Promise(done => img.addEventListener('load', done))"
    )
    assert photo.evaluate("img => img.naturalWidth > 0")
    expect(page.get_by_label("Assinar minhas mensagens")).to_be_checked()
    expect(page.get_by_label("Assinatura", exact=True)).to_have_value("Bruno · Vendas")

    # Both devices are listed (and any left by an earlier test); signing out everywhere else
    # ends all but this one
    sessions = page.get_by_test_id("session-row")
    expect(sessions.filter(has_text="Este dispositivo")).to_have_count(1)
    assert sessions.count() >= 2
    assert _fits_the_width(page)
    shot(page, f"profile-{width}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sair de todos os outros lugares").click()
    expect(page.get_by_test_id("session-row")).to_have_count(1)
    # its inbox's socket is closed at once, and the page goes to the sign-in form by itself
    expect(other_device).to_have_url(f"{live_app.url}/accounts/login/?next=/")

    # The inbox reads the preferences
    page.goto(f"{live_app.url}/")
    inbox = page.get_by_test_id("inbox-list")
    expect(inbox).to_have_attribute("data-notify-sound", "1")
    expect(inbox).to_have_attribute("data-notify-sound-messages", "1")
    expect(inbox).to_have_attribute("data-notify-desktop", "1")


def test_the_sound_set_in_the_profile_plays_for_new_tickets_and_messages(live_app, open_page):
    agent_page = open_page("ana-sound")
    agent_page.add_init_script(COUNT_TONES)
    customer_page = open_page("customer-sound")
    sign_in(agent_page, live_app, "ana", next_path="/accounts/profile/")
    sound = agent_page.get_by_label("Tocar um som para novos tickets")

    # Off (the default): a new waiting ticket appears silently
    expect(sound).not_to_be_checked()
    _waiting_tab(live_app, agent_page)
    customer = _customer_writes(live_app, customer_page)
    expect(_rows(agent_page).filter(has_text=customer)).to_be_visible()
    agent_page.wait_for_timeout(500)
    assert agent_page.evaluate("window.__ttTones") == 0

    # On: the next one plays the tone
    agent_page.goto(f"{live_app.url}/accounts/profile/")
    agent_page.get_by_label("Tocar um som para novos tickets").check()
    agent_page.get_by_test_id("profile-save").click()
    expect(agent_page.get_by_role("status")).to_contain_text("Perfil salvo.")
    _waiting_tab(live_app, agent_page)
    customer = _customer_writes(live_app, customer_page)
    row = _rows(agent_page).filter(has_text=customer)
    expect(row).to_be_visible()
    agent_page.wait_for_function("window.__ttTones >= 1")

    # Once the ticket is hers, a new message of the customer bumps the tab's title live, but
    # plays nothing: the sound for messages is its own choice, still off
    row.locator(".ticket-link").click()
    agent_page.get_by_test_id("ticket-accept").click()
    expect(agent_page.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "open")
    expect(agent_page).to_have_title(TITLE)
    tones = agent_page.evaluate("window.__ttTones")
    chat = customer_page.frame_locator("[data-testid=tt-webchat-frame]")
    chat.get_by_test_id("tt-webchat-text").fill("Ainda está aí?")
    chat.get_by_test_id("tt-webchat-send").click()
    expect(agent_page.get_by_test_id("ticket-panel")).to_contain_text("Ainda está aí?")
    expect(agent_page).to_have_title(f"(1) {TITLE}")
    agent_page.wait_for_timeout(500)
    assert agent_page.evaluate("window.__ttTones") == tones

    # With the sound for messages on, the inbox opens with the count read from the server and
    # the next message plays the chime and counts again
    agent_page.goto(f"{live_app.url}/accounts/profile/")
    agent_page.get_by_label("Tocar um som para novas mensagens").check()
    agent_page.get_by_test_id("profile-save").click()
    expect(agent_page.get_by_role("status")).to_contain_text("Perfil salvo.")
    agent_page.goto(f"{live_app.url}/?tab=open")
    expect(agent_page.get_by_test_id("live-status")).to_have_text("Ao vivo")
    expect(agent_page).to_have_title(f"(1) {TITLE}")
    tones = agent_page.evaluate("window.__ttTones")
    chat.get_by_test_id("tt-webchat-text").fill("Alô?")
    chat.get_by_test_id("tt-webchat-send").click()
    expect(agent_page).to_have_title(f"(2) {TITLE}")
    agent_page.wait_for_function(f"window.__ttTones > {tones}")

    # Reading the conversation clears the count
    _rows(agent_page).filter(has_text=customer).locator(".ticket-link").click()
    expect(agent_page.get_by_test_id("ticket-panel")).to_contain_text("Alô?")
    expect(agent_page).to_have_title(TITLE)

    # and off again, as the other tests expect Ana's inbox
    agent_page.goto(f"{live_app.url}/accounts/profile/")
    agent_page.get_by_label("Tocar um som para novos tickets").uncheck()
    agent_page.get_by_label("Tocar um som para novas mensagens").uncheck()
    agent_page.get_by_test_id("profile-save").click()
    expect(agent_page.get_by_role("status")).to_contain_text("Perfil salvo.")


def _waiting_tab(live_app, page: Page) -> None:
    page.goto(f"{live_app.url}/")
    tab = page.get_by_test_id("inbox-tab-pending")
    tab.click()
    expect(tab).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("live-status")).to_have_text("Ao vivo")


def _rows(page: Page):
    return page.get_by_test_id("inbox-row")


def _customer_writes(live_app, customer_page: Page) -> str:
    customer = f"Cliente {uuid.uuid4().hex[:6]}"
    customer_page.context.clear_cookies()
    customer_page.goto(f"{live_app.site_url}/")
    customer_page.evaluate("localStorage.clear()")
    customer_page.reload()
    customer_page.get_by_test_id("tt-webchat-launcher").click()
    chat = customer_page.frame_locator("[data-testid=tt-webchat-frame]")
    chat.get_by_test_id("tt-webchat-name").fill(customer)
    chat.get_by_test_id("tt-webchat-start").click()
    chat.get_by_test_id("tt-webchat-text").fill("Olá, preciso de ajuda")
    chat.get_by_test_id("tt-webchat-send").click()
    expect(chat.get_by_test_id("tt-webchat-tick")).to_have_count(1)
    return customer
