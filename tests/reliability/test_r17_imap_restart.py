"""R17: the IMAP server of an e-mail connection restarts while its mailbox is being read.

N mails (N = 60, 300 under RELIABILITY_SCALE=5) wait in a real mailbox (pymap, maildir backend,
its own process). The connection's bounded mailbox job reads them; once a third of them are
stored the server is stopped mid-read, started again a second later, and N more mails arrive.
The job ends on the dropped connection; the next runs (what the beat schedule does every
minute) read on from the stored cursor. Every mail must become exactly one message: nothing
lost, nothing duplicated.
"""

from __future__ import annotations

import threading
import time

import redis
from django.conf import settings

from channels_integrations.models import InboundEvent, MailboxCursor
from channels_integrations.providers.email.tests.servers import ImapServer, free_port
from channels_integrations.services.email_inbound import mailbox_watch
from channels_integrations.tasks import inbound_event_process_task
from connections.models import ChannelConnection
from contacts.models import Contact
from tenants.tenancy import tenant_scope
from tests.reliability.conftest import scaled
from tests.support.concurrency import in_thread
from tickets.models import Message, Ticket, TicketEvent
from tickets.tests.factories import ConnectionFactory

ADDRESS = "r17@acme.test"
PASSWORD = "r17-password"


def _mail(n: int) -> bytes:
    return (
        f"From: Cliente {n % 9} <cliente{n % 9}@r17.example>\r\nTo: {ADDRESS}\r\n"
        f"Subject: Pedido {n}\r\nMessage-ID: <r17-{n}@r17.example>\r\n\r\nMensagem {n}\r\n"
    ).encode()


def _setup(tenant, imap: ImapServer) -> int:
    with tenant_scope(tenant):
        connection = ConnectionFactory(
            provider="email",
            name="R17",
            status="connected",
            credentials={
                "address": ADDRESS,
                "imap_host": "127.0.0.1",
                "imap_port": imap.port,
                "imap_security": "none",
                "imap_username": ADDRESS,
                "imap_password": PASSWORD,
                "imap_folder": "INBOX",
                "smtp_host": "127.0.0.1",
                "smtp_port": free_port(),
                "smtp_security": "none",
            },
        )
        return int(connection.pk)


def _stored(tenant, connection_id: int) -> int:
    with tenant_scope(tenant):
        return InboundEvent.objects.filter(connection_id=connection_id).count()


def _watch(tenant, connection_id: int) -> int:
    with tenant_scope(tenant):
        return mailbox_watch(connection_id=connection_id, seconds=3).mails


def _process_and_count(tenant, connection_id: int) -> tuple[int, int, int]:
    with tenant_scope(tenant):
        for event_id in list(
            InboundEvent.objects.filter(
                connection_id=connection_id, status=InboundEvent.Status.RECEIVED
            ).values_list("pk", flat=True)
        ):
            inbound_event_process_task.apply(args=(event_id,))
        messages = Message.objects.filter(connection_id=connection_id)
        distinct = messages.values("provider_message_id").distinct().count()
        return (
            InboundEvent.objects.filter(connection_id=connection_id).count(),
            messages.count(),
            distinct,
        )


def _cleanup(tenant, connection_id: int) -> None:
    with tenant_scope(tenant):
        tickets = Ticket.objects.filter(connection_id=connection_id)
        contacts = list(tickets.values_list("contact_id", flat=True))
        Message.objects.filter(ticket__in=tickets).delete()
        TicketEvent.objects.filter(ticket__in=tickets).delete()
        tickets.delete()
        Contact.objects.filter(pk__in=contacts).delete()
        InboundEvent.objects.filter(connection_id=connection_id).delete()
        MailboxCursor.objects.filter(connection_id=connection_id).delete()
        ChannelConnection.objects.filter(pk=connection_id).delete()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("inbound")


def test_r17_an_imap_restart_loses_and_duplicates_nothing(alpha, tmp_path, report_figure) -> None:
    tenant = alpha.tenant
    batch = scaled(60)
    imap = ImapServer(tmp_path / "imap")
    imap.user_add(ADDRESS, PASSWORD)
    imap.start()
    for n in range(batch):
        imap.deliver(ADDRESS, PASSWORD, _mail(n))
    connection_id = in_thread(lambda: _setup(tenant, imap))
    stored_at_stop = 0
    runs = 0
    try:
        first_job = threading.Thread(target=lambda: _watch(tenant, connection_id))
        first_job.start()
        deadline = time.monotonic() + 60
        while _stored(tenant, connection_id) < batch // 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        imap.stop()  # mid-read: the job's connection drops
        stored_at_stop = in_thread(lambda: _stored(tenant, connection_id))
        first_job.join(timeout=60)
        runs += 1
        time.sleep(1)
        imap.start()
        for n in range(batch, 2 * batch):
            imap.deliver(ADDRESS, PASSWORD, _mail(n))
        while in_thread(lambda: _stored(tenant, connection_id)) < 2 * batch and runs < 10:
            in_thread(lambda: _watch(tenant, connection_id))  # the beat's next minutes
            runs += 1
        events, messages, distinct = in_thread(lambda: _process_and_count(tenant, connection_id))
    finally:
        imap.stop()
        in_thread(lambda: _cleanup(tenant, connection_id))

    report_figure(
        f"R17: {2 * batch} mails, IMAP server restarted after {stored_at_stop} were stored -> "
        f"{events} events, {messages} messages ({messages - distinct} duplicated, "
        f"{2 * batch - distinct} lost) in {runs} mailbox jobs"
    )
    assert 0 < stored_at_stop < 2 * batch
    assert events == 2 * batch
    assert messages == 2 * batch
    assert distinct == 2 * batch
