"""An e-mail connection in chromium, in the tenant's pt-BR: the admin fills the connection form
(its guide beside it) with a real IMAP server (pymap) and SMTP server (aiosmtpd) on loopback,
the app signs in to both, and the connection's page says it is connected; on a 390 px phone and
on a 1366 px desktop."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from channels_integrations.providers.email.tests.servers import ImapServer, SmtpSink
from tests.browser.conftest import (
    DESKTOP_SIZE,
    PHONE_SIZE,
    SUPPORT,
    no_sideways_scroll,
    shot,
    sign_in,
)

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


def _mail_in_the_inbox() -> str:
    """A customer's e-mail on a ticket of tenant ``browser`` (its own connection and contact),
    stored as the pipeline stores it; returns the ticket's public id."""
    from channels_integrations.providers.base import InboundMessage
    from channels_integrations.providers.email.parse import mail_items
    from channels_integrations.providers.email.tests.support import mail_file
    from contacts.services import contact_upsert_from_identity
    from tenants.models import Tenant
    from tenants.tenancy import tenant_scope
    from tickets.models import Queue
    from tickets.services.messages import ReceivedMessage, message_receive
    from tickets.tests.factories import ConnectionFactory

    tag = uuid.uuid4().hex[:6]
    raw = mail_file("multipart_alternative.eml").replace(b"CAF1a2b3c4@", f"panel-{tag}@".encode())
    [item] = mail_items(raw, stored_name="tenants/browser/email/panel.eml")
    assert isinstance(item, InboundMessage)
    with tenant_scope(Tenant.objects.get(schema_name="browser")):
        connection = ConnectionFactory.create(
            provider="email",
            name=f"E-mail {tag}",
            status="connected",
            default_queue=Queue.objects.get(name=SUPPORT),
        )
        contact, _ = contact_upsert_from_identity(
            provider="email", external_id=f"ana.{tag}@cliente.example", name=f"Ana {tag}"
        )
        message, _ = message_receive(
            received=ReceivedMessage(
                connection=connection,
                contact=contact,
                body=item.body,
                provider_message_id=item.provider_message_id,
                payload=dict(item.extra),
            )
        )
        return str(message.ticket.public_id)


@pytest.mark.parametrize(("size", "label"), [(PHONE_SIZE, "phone"), (DESKTOP_SIZE, "desktop")])
def test_an_email_shows_its_subject_checks_quoted_text_and_formatted_version(
    live_app, open_page, size, label
):
    from tests.support.concurrency import in_thread

    ticket_id = in_thread(_mail_in_the_inbox)  # committed: the app's processes see it
    admin = open_page("admin")
    admin.set_viewport_size(size)
    sign_in(admin, live_app, "admin", next_path=f"/?ticket={ticket_id}")
    mail = admin.get_by_test_id("message-email")
    expect(mail.get_by_test_id("email-subject")).to_contain_text("Pedido 4512 atrasado")
    expect(mail.get_by_test_id("email-cc")).to_contain_text("bruno@cliente.example")
    expect(mail.get_by_test_id("email-authentication")).to_contain_text("SPF pass")
    quoted = mail.get_by_test_id("email-quoted")
    expect(quoted.get_by_text("Seu pedido foi enviado.")).to_be_hidden()
    quoted.get_by_text("Mostrar o texto citado").click()
    expect(quoted.get_by_text("> Seu pedido foi enviado.")).to_be_visible()
    mail.get_by_text("Mensagem formatada (imagens bloqueadas)").click()
    frame = mail.get_by_title("Mensagem formatada", exact=True)
    expect(frame).to_be_visible()
    srcdoc = frame.get_attribute("srcdoc") or ""
    assert "tracker.example" not in srcdoc
    assert "<script" not in srcdoc
    # Nothing was fetched from the sender's servers (chromium would have said so); "Show
    # images" gives the second frame its source only when opened.
    with_images = mail.get_by_title("Mensagem formatada com imagens")
    assert with_images.get_attribute("srcdoc") is None
    no_sideways_scroll(admin)
    shot(admin, f"email-message-panel-{label}")
