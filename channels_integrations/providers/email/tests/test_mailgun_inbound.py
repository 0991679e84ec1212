"""E-mail through Mailgun's inbound route: each connection has its own URL, anymail checks the
delivery's signature with the connection's webhook signing key, and the mail goes through the
same pipeline as one read from a mailbox. Forged deliveries get 403 and store nothing."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from accounts.tests.factories import AdminFactory
from channels_integrations.models import InboundEvent
from channels_integrations.providers.email.tests.servers import ImapServer, SmtpSink
from channels_integrations.providers.email.tests.support import PASSWORD, credentials, mail_file
from channels_integrations.services.connections import connection_create
from channels_integrations.tests.support import PLATFORM_HOST, process_all
from conftest import host_client
from tenants.tenancy import tenant_scope
from tickets.models import Message

SIGNING_KEY = "key-mailgun-signing-0001"


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def mailgun_connection(tenant, smtp, tmp_path, *, key=SIGNING_KEY):
    imap = ImapServer(tmp_path / "unused")  # never started: a Mailgun connection reads no IMAP
    with tenant_scope(tenant):
        return connection_create(
            by=AdminFactory(),
            provider="email",
            name="Mailgun",
            credentials=credentials(
                imap,
                smtp,
                "support@acme.test",
                inbound="mailgun",
                mailgun_signing_key=key,
                imap_host="",
                imap_username="",
                imap_password="",
            ),
        )


def signed(raw: bytes, *, key: str = SIGNING_KEY, token: str = "t" * 50) -> dict:
    """The form Mailgun's ``forward()`` to a URL ending in ``mime`` posts, signed as documented
    (HMAC-SHA256 of timestamp + token with the webhook signing key)."""
    timestamp = str(int(time.time()))
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "body-mime": raw.decode("latin-1"),
        "recipient": "support@acme.test",
        "sender": "ana.souza@cliente.example",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }


def post(connection, data):
    return host_client(PLATFORM_HOST).post(f"/webhooks/email/{connection.webhook_token}/", data)


def test_a_signed_delivery_becomes_a_message_once(alpha, smtp, tmp_path, media_root):
    connection = mailgun_connection(alpha.tenant, smtp, tmp_path)
    data = signed(mail_file("multipart_alternative.eml"))

    first = post(connection, data)
    again = post(connection, data)
    process_all(alpha.tenant)

    assert first.status_code == 200
    assert first.json() == {"stored": 1, "duplicates": 0}
    assert again.json() == {"stored": 0, "duplicates": 1}
    with tenant_scope(alpha.tenant):
        [message] = Message.objects.all()
        assert message.body == "Olá, meu pedido 4512 ainda não chegou."
        assert message.payload["email"]["subject"] == "Pedido 4512 atrasado"
        assert message.ticket.contact.name == "Ana Souza"


def test_forged_deliveries_get_403_and_store_nothing(alpha, beta, smtp, tmp_path, media_root):
    connection = mailgun_connection(alpha.tenant, smtp, tmp_path)
    other = mailgun_connection(beta.tenant, smtp, tmp_path, key="key-of-beta")
    raw = mail_file("latin1.eml")

    wrong_key = post(connection, signed(raw, key="not-the-key"))
    tampered = {**signed(raw), "token": "u" * 50}
    replayed_elsewhere = post(other, signed(raw))  # alpha's key on beta's URL
    unknown = host_client(PLATFORM_HOST).post("/webhooks/email/no-such-token/", signed(raw))

    assert wrong_key.status_code == 403
    assert set(wrong_key.json()) == {"code", "message", "extra"}
    assert post(connection, tampered).status_code == 403
    assert replayed_elsewhere.status_code == 403
    assert unknown.status_code == 404
    for tenant in (alpha.tenant, beta.tenant):
        with tenant_scope(tenant):
            assert InboundEvent.objects.count() == 0
            assert Message.objects.count() == 0


def test_an_imap_connection_refuses_webhooks(alpha, smtp, tmp_path, media_root):
    imap = ImapServer(tmp_path / "imap")
    imap.user_add("support@acme.test", PASSWORD)
    imap.start()
    try:
        with tenant_scope(alpha.tenant):
            connection = connection_create(
                by=AdminFactory(),
                provider="email",
                name="IMAP",
                credentials=credentials(imap, smtp, "support@acme.test"),
            )
    finally:
        imap.stop()

    response = post(connection, signed(mail_file("latin1.eml")))

    assert response.status_code == 403
    with tenant_scope(alpha.tenant):
        assert InboundEvent.objects.count() == 0


def test_a_mailgun_connection_needs_its_signing_key(alpha, smtp, tmp_path):
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        mailgun_connection(alpha.tenant, smtp, tmp_path, key="")
    assert refused.value.code == "validation_error"
    assert "mailgun_signing_key" in refused.value.extra["fields"]["credentials"]


def test_only_a_mailgun_connection_shows_a_callback_url(alpha, smtp, tmp_path, media_root):
    from channels_integrations.services.connections import connection_webhook_url

    connection = mailgun_connection(alpha.tenant, smtp, tmp_path)
    imap = ImapServer(tmp_path / "imap")
    imap.user_add("support@acme.test", PASSWORD)
    imap.start()
    try:
        with tenant_scope(alpha.tenant):
            reader = connection_create(
                by=AdminFactory(),
                provider="email",
                name="IMAP",
                credentials=credentials(imap, smtp, "support@acme.test"),
            )
    finally:
        imap.stop()

    assert connection_webhook_url(connection).endswith(
        f"/webhooks/email/{connection.webhook_token}/"
    )
    assert connection_webhook_url(reader) == ""
