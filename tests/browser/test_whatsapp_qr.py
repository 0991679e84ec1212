"""An admin connects a WhatsApp number by QR code against the simulated gateway: the QR code
updates live on the connection's page, the phone "scans" it and the page shows the connected
number; a customer's message then arrives in the inbox live, and the reply reaches the gateway.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE_SIZE, no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

CUSTOMER_NUMBER = "5511955554444"


def _wait_for(predicate, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the gateway never saw it"
        time.sleep(0.2)


def test_connect_by_qr_code_then_talk_both_ways(live_app, open_page):
    gateway = live_app.gateway.evolution
    admin = open_page("admin")
    sign_in(admin, live_app, "admin", next_path="/manage/connections/")

    # The admin adds a "WhatsApp (QR code)" connection
    admin.get_by_test_id("connection-new-whatsapp_qr").click()
    name = f"WhatsApp {uuid.uuid4().hex[:4]}"
    admin.get_by_label("Nome").fill(name)
    admin.get_by_test_id("connection-form").locator("button[type=submit]").click()
    expect(admin).to_have_url(re.compile(r"/manage/connections/[0-9a-f-]{36}/$"))
    public_id = admin.url.rstrip("/").rsplit("/", 1)[1]
    instance = f"tt-{public_id}"

    # The QR code shows, then a new one replaces it live (the gateway refreshes it)
    qr = admin.get_by_test_id("session-qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    first = qr.get_attribute("src")
    expect(admin.get_by_test_id("session-qr-countdown")).to_contain_text("muda em")
    shot(admin, "whatsapp-qr-1-scan-me")
    expect(qr).not_to_have_attribute("src", first or "", timeout=15_000)
    assert gateway.instances[instance].qr_count >= 2

    # The phone scans it: the page shows the connected number and its profile name
    gateway.scan(instance, number="5511900001111", profile_name="Loja Navegador")
    expect(admin.get_by_test_id("session-connected")).to_contain_text("+5511900001111")
    expect(admin.get_by_test_id("session-profile")).to_have_text("Loja Navegador")
    expect(admin.get_by_test_id("connection-status")).to_have_text("Conectada")
    expect(admin.get_by_test_id("session-history")).to_contain_text("+5511900001111")
    shot(admin, "whatsapp-qr-2-connected")

    # A customer writes: the ticket appears in the inbox, live
    admin.goto(f"{live_app.url}/")
    admin.get_by_test_id("inbox-tab-pending").click()
    expect(admin.get_by_test_id("inbox-tab-pending")).to_have_attribute("aria-current", "page")
    customer = f"Cliente {uuid.uuid4().hex[:5]}"
    gateway.customer_text(
        instance, sender=CUSTOMER_NUMBER, text="Oi, vocês abrem sábado?", push_name=customer
    )
    row = admin.get_by_test_id("inbox-row").filter(has_text=customer)
    expect(row).to_be_visible(timeout=15_000)
    expect(row.get_by_test_id("inbox-row-preview")).to_contain_text("abrem sábado")

    # The admin accepts it and answers: the reply reaches the gateway
    row.locator(".ticket-link").click()
    admin.get_by_test_id("ticket-accept").click()
    expect(admin.get_by_test_id("ticket-panel")).to_have_attribute("data-status", "open")
    composer = admin.get_by_test_id("composer-input")
    composer.fill("Abrimos sim, das 9h às 13h!")
    composer.press("Enter")
    _wait_for(lambda: live_app.gateway.sent_texts()["Abrimos sim, das 9h às 13h!"] == 1)
    [sent] = [r for r in live_app.gateway.sends() if r.body.get("text", "").startswith("Abrimos")]
    assert (sent.account, sent.body["number"]) == (instance, CUSTOMER_NUMBER)
    shot(admin, "whatsapp-qr-3-replied")

    # The number drops (the phone lost its connection): the admin is alerted where they are
    gateway.close(instance)
    toast = admin.locator("#toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text(name)
    expect(toast).to_contain_text("desconectou")
    shot(admin, "whatsapp-qr-4-dropped")


def test_the_connection_page_fits_a_phone(live_app, open_page):
    admin = open_page("admin-phone", viewport=PHONE_SIZE)
    sign_in(admin, live_app, "admin", next_path="/manage/connections/")
    admin.get_by_test_id("connection-new-whatsapp_qr").click()
    admin.get_by_label("Nome").fill(f"Celular {uuid.uuid4().hex[:4]}")
    admin.get_by_test_id("connection-form").locator("button[type=submit]").click()
    expect(admin.get_by_test_id("session-qr")).to_be_visible()
    no_sideways_scroll(admin)
    shot(admin, "whatsapp-qr-phone")


def test_a_group_conversation_names_each_sender(live_app, open_page):
    """The admin turns group messages on in the settings; a group's messages then open one
    group ticket whose messages each show who wrote them, at 1366 px and at 390 px."""
    gateway = live_app.gateway.evolution
    admin = open_page("admin-groups")
    sign_in(admin, live_app, "admin", next_path="/manage/connections/")
    admin.get_by_test_id("connection-new-whatsapp_qr").click()
    admin.get_by_label("Nome").fill(f"Grupos {uuid.uuid4().hex[:4]}")
    admin.get_by_test_id("connection-form").locator("button[type=submit]").click()
    expect(admin).to_have_url(re.compile(r"/manage/connections/[0-9a-f-]{36}/$"))
    instance = "tt-" + admin.url.rstrip("/").rsplit("/", 1)[1]
    gateway.scan(instance, number="5511900002222", profile_name="Loja Grupos")
    expect(admin.get_by_test_id("connection-status")).to_have_text("Conectada")

    admin.goto(f"{live_app.url}/manage/settings/")
    groups = admin.get_by_label(re.compile("Ignorar mensagens de grupos do WhatsApp"))
    expect(groups).to_be_checked()  # the default
    groups.uncheck()
    admin.get_by_test_id("settings-form").locator("button[type=submit]").click()
    expect(admin.get_by_label(re.compile("Ignorar mensagens de grupos"))).not_to_be_checked()
    # The gateway is told to send group messages from now on.
    _wait_for(lambda: gateway.instances[instance].settings.get("groupsIgnore") is False)

    group = uuid.uuid4().int % 10**12
    subject = f"Clientes VIP {uuid.uuid4().hex[:4]}"
    gateway.groups[f"120363{group:012d}"] = {"subject": subject}
    admin.goto(f"{live_app.url}/")
    admin.get_by_test_id("inbox-tab-pending").click()
    for sender, who, text in (
        ("5511988880001", "Ana Grupo", "Bom dia, pessoal"),
        ("5511988880002", "Bruno Grupo", "Alguém da loja?"),
    ):
        gateway.customer_text(
            instance, sender=sender, text=text, push_name=who, group=f"120363{group:012d}"
        )
    row = admin.get_by_test_id("inbox-row").filter(has_text=subject)
    expect(row).to_be_visible(timeout=15_000)
    row.locator(".ticket-link").click()
    senders = admin.get_by_test_id("message-group-sender")
    expect(senders).to_have_count(2)
    expect(senders.nth(0)).to_have_text("Ana Grupo · +5511988880001")
    expect(senders.nth(1)).to_have_text("Bruno Grupo · +5511988880002")
    shot(admin, "whatsapp-qr-5-group")

    phone = open_page("admin-groups-phone", viewport=PHONE_SIZE)
    sign_in(phone, live_app, "admin")
    phone.goto(admin.url)
    expect(phone.get_by_test_id("message-group-sender").nth(1)).to_be_visible()
    no_sideways_scroll(phone)
    shot(phone, "whatsapp-qr-5-group-phone")
    # On the phone the contact panel is a drawer; a group's says it is a group.
    phone.get_by_test_id("contact-toggle").click()
    drawer = phone.get_by_test_id("contact-drawer")
    expect(drawer.get_by_test_id("contact-group")).to_have_text(re.compile("Conversa em grupo"))
    expect(drawer.get_by_role("button", name="Bloquear grupo")).to_be_visible()
    expect(drawer).not_to_contain_text("Sem telefone")
    no_sideways_scroll(phone)
    shot(phone, "whatsapp-qr-6-group-drawer-phone")

    # Back to the default for the other tests of this tenant.
    admin.goto(f"{live_app.url}/manage/settings/")
    admin.get_by_label(re.compile("Ignorar mensagens de grupos")).check()
    admin.get_by_test_id("settings-form").locator("button[type=submit]").click()
    expect(admin.get_by_label(re.compile("Ignorar mensagens de grupos"))).to_be_checked()
