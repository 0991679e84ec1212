"""An e-mail connection in chromium, in the tenant's pt-BR: the admin fills the connection form
(its guide beside it) with a real IMAP server (pymap) and SMTP server (aiosmtpd) on loopback,
the app signs in to both, and the connection's page says it is connected; on a 390 px phone and
on a 1366 px desktop."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from channels_integrations.providers.email.tests.servers import ImapServer, SmtpSink
from tests.browser.conftest import DESKTOP_SIZE, PHONE_SIZE, no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def servers(tmp_path):
    imap = ImapServer(tmp_path / "imap")
    imap.user_add("suporte@loja.test", "senha-da-caixa")
    imap.start()
    smtp = SmtpSink().start()
    yield imap, smtp
    smtp.stop()
    imap.stop()


@pytest.mark.parametrize(("size", "label"), [(PHONE_SIZE, "phone"), (DESKTOP_SIZE, "desktop")])
def test_an_admin_connects_a_mailbox(live_app, open_page, browser_errors, servers, size, label):
    imap, smtp = servers
    admin = open_page("admin")
    admin.set_viewport_size(size)
    sign_in(admin, live_app, "admin", next_path="/manage/connections/new/email/")
    expect(admin.get_by_test_id("connection-guide")).to_contain_text("IMAP")
    form = admin.get_by_test_id("connection-form")
    name = f"E-mail {uuid.uuid4().hex[:6]}"
    form.get_by_label("Nome", exact=True).fill(name)
    form.get_by_label("Endereço de e-mail").fill("suporte@loja.test")
    form.get_by_label("Servidor IMAP").fill("127.0.0.1")
    form.get_by_label("Porta IMAP").fill(str(imap.port))
    form.get_by_label("Segurança IMAP").select_option("none")
    form.get_by_label("Usuário IMAP").fill("suporte@loja.test")
    form.get_by_label("Senha IMAP").fill("errada")
    form.get_by_label("Servidor SMTP").fill("127.0.0.1")
    form.get_by_label("Porta SMTP").fill(str(smtp.port))
    form.get_by_label("Segurança SMTP").select_option("none")
    no_sideways_scroll(admin)
    shot(admin, f"email-connection-form-{label}")
    browser_errors.allow_status(400, "/manage/connections/new/email/")
    form.get_by_role("button", name="Conectar").click()
    # A wrong password is refused under its field, and nothing is created.
    expect(admin.get_by_test_id("connection-form")).to_contain_text(
        "O servidor IMAP recusou este usuário e senha."
    )
    shot(admin, f"email-connection-refused-{label}")

    form = admin.get_by_test_id("connection-form")
    form.get_by_label("Senha IMAP").fill("senha-da-caixa")
    form.get_by_role("button", name="Conectar").click()
    expect(admin.get_by_test_id("connection-status")).to_have_text("Conectada")
    expect(admin.get_by_role("heading", name=name)).to_be_visible()
    no_sideways_scroll(admin)
    shot(admin, f"email-connection-connected-{label}")
