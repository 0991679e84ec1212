"""Helpers of the e-mail tests: the mail files, a connection created as an admin would (its
credentials really checked against the loopback servers), the mailbox read and processed."""

from __future__ import annotations

from pathlib import Path

from accounts.tests.factories import AdminFactory
from channels_integrations.providers.email.tests.servers import ImapServer, SmtpSink
from channels_integrations.services.connections import connection_create
from channels_integrations.services.email_inbound import mailbox_poll
from channels_integrations.tests.support import process_all
from tenants.tenancy import tenant_scope

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "s3cret-mailbox"


def mail_file(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def credentials(imap: ImapServer, smtp: SmtpSink, address: str, **changes: object) -> dict:
    return {
        "address": address,
        "display_name": "Suporte ACME",
        "imap_host": "127.0.0.1",
        "imap_port": imap.port,
        "imap_security": "none",
        "imap_username": address,
        "imap_password": PASSWORD,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_security": "none",
        **changes,
    }


def email_connection(tenant, imap, smtp, address, name="Suporte"):
    with tenant_scope(tenant):
        return connection_create(
            by=AdminFactory(),
            provider="email",
            name=name,
            credentials=credentials(imap, smtp, address),
        )


def read_and_process(tenant, connection, django_capture_on_commit_callbacks):
    """Read the mailbox once and process every stored event; returns the poll's outcome."""
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        outcome = mailbox_poll(connection=connection)
    process_all(tenant)
    return outcome
