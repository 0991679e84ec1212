"""The e-mail channel against real servers on loopback: a pymap IMAP server holding the
connection's mailbox and an aiosmtpd server receiving our replies. Customer mail → ticket →
agent reply (threading headers) → the customer's reply threads into the same ticket."""

from __future__ import annotations

import time

import pytest

from channels_integrations.models import InboundEvent, MailboxCursor
from channels_integrations.providers.email.tests.servers import ImapServer, SmtpSink
from channels_integrations.providers.email.tests.support import (
    PASSWORD,
    credentials,
    email_connection,
    mail_file,
    read_and_process,
)
from channels_integrations.tasks import outbound_message_deliver_task
from contacts.models import ContactIdentity
from core.exceptions import ApplicationError
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.services.messages import message_send
from tickets.services.tickets import ticket_accept

SUPPORT = "support@acme.test"


@pytest.fixture
def imap(tmp_path):
    server = ImapServer(tmp_path / "imap")
    server.user_add(SUPPORT, PASSWORD)
    server.user_add("support@beta.test", PASSWORD)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def mailbox(alpha, imap, smtp, media_root):
    return email_connection(alpha.tenant, imap, smtp, SUPPORT)


def _deliver(message):
    return outbound_message_deliver_task.apply(args=(message.delivery.pk,)).get()


def test_a_customer_mail_round_trips_with_threading_headers(
    alpha, imap, smtp, mailbox, django_capture_on_commit_callbacks
):
    imap.deliver(SUPPORT, PASSWORD, mail_file("multipart_alternative.eml"))

    outcome = read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)

    assert (outcome.mails, outcome.stored) == (1, 1)
    with tenant_scope(alpha.tenant):
        [received] = Message.objects.all()
        assert received.body == "Olá, meu pedido 4512 ainda não chegou."
        email = received.payload["email"]
        assert email["subject"] == "Pedido 4512 atrasado"
        assert email["cc"] == ["bruno@cliente.example"]
        assert email["authentication"] == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
        assert email["quoted"].startswith("Em seg., 30 de nov.")
        assert "<script" not in email["html"]
        assert "onerror" not in email["html"]
        ticket = received.ticket
        assert ticket.contact.name == "Ana Souza"
        identity = ContactIdentity.objects.get(provider="email")
        assert identity.external_id == "ana.souza@cliente.example"
        agent = mailbox_agent = ticket_accept_by_admin(ticket)
        with django_capture_on_commit_callbacks(execute=True):
            reply = message_send(ticket=ticket, by=agent, body="Olá Ana, **já verificamos**.")
        assert _deliver(reply) == "sent"
        reply.refresh_from_db()

    [sent] = smtp.messages
    assert smtp.recipients == [["ana.souza@cliente.example"]]
    assert sent["In-Reply-To"] == "<CAF1a2b3c4@mail.cliente.example>"
    assert sent["References"] == "<CAF1a2b3c4@mail.cliente.example>"
    assert sent["Message-ID"] == reply.provider_message_id
    assert sent["Subject"] == f"Re: Pedido 4512 atrasado [#{ticket.protocol}]"
    assert sent["Reply-To"] == f"support+{ticket.protocol}@acme.test"
    plain = sent.get_body(("plain",)).get_content()
    html = sent.get_body(("html",)).get_content()
    assert plain.startswith("Olá Ana, **já verificamos**.")
    assert mailbox_agent.name in plain  # a signature from the agent's name
    assert "<strong>já verificamos</strong>" in html

    # The customer answers the reply: it threads into the same ticket.
    answer = (
        "From: Ana Souza <ana.souza@cliente.example>\r\n"
        f"To: {SUPPORT}\r\n"
        f"Subject: {sent['Subject']}\r\n"
        "Message-ID: <answer-0002@mail.cliente.example>\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\n"
        f"References: <CAF1a2b3c4@mail.cliente.example> {sent['Message-ID']}\r\n"
        "\r\nObrigada!\r\n"
    ).encode()
    imap.deliver(SUPPORT, PASSWORD, answer)
    read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        answer_message = Message.objects.get(
            provider_message_id="<answer-0002@mail.cliente.example>"
        )
        assert answer_message.ticket_id == ticket.pk
        assert answer_message.quoted_id == reply.pk
        assert Ticket.objects.count() == 1


def _answered_mail(alpha, imap, mailbox, capture, body):
    """Ana's mail read into a ticket, accepted by an agent who answers ``body`` (sent through
    the SMTP server); returns the ticket and the sent reply."""
    imap.deliver(SUPPORT, PASSWORD, mail_file("multipart_alternative.eml"))
    read_and_process(alpha.tenant, mailbox, capture)
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        agent = ticket_accept_by_admin(ticket)
        with capture(execute=True):
            reply = message_send(ticket=ticket, by=agent, body=body)
        _deliver(reply)
        reply.refresh_from_db()
    return ticket, reply


def ticket_accept_by_admin(ticket):
    from accounts.tests.factories import AdminFactory

    agent = AdminFactory(name="Marina Costa")
    ticket_accept(ticket=ticket, by=agent)
    return agent


def test_a_mail_read_twice_or_copied_is_one_message(
    alpha, imap, mailbox, django_capture_on_commit_callbacks
):
    raw = mail_file("latin1.eml")
    imap.deliver(SUPPORT, PASSWORD, raw)
    imap.deliver(SUPPORT, PASSWORD, raw)  # the same mail again (a copy, a new UID)

    first = read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        MailboxCursor.objects.update(last_uid=0)  # as if the cursor were lost: read again
    second = read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)

    assert (first.mails, first.stored) == (2, 1)
    assert (second.mails, second.stored) == (2, 0)
    with tenant_scope(alpha.tenant):
        [message] = Message.objects.all()
        assert message.body == "Bom dia, gostaria de uma cotação para 10 unidades.\nObrigado, João"
        assert message.ticket.contact.name == "João Lima"
        assert message.payload["email"]["subject"] == "Cotação de preços"


def test_attachments_and_inline_images_go_to_private_storage(
    alpha, imap, mailbox, media_root, django_capture_on_commit_callbacks
):
    imap.deliver(SUPPORT, PASSWORD, mail_file("attachment.eml"))

    read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)

    with tenant_scope(alpha.tenant):
        text, image, document = Message.objects.order_by("id")
        assert text.body == "Segue a nota e a foto:"
        assert (image.kind, image.media_name, image.media_mime) == (
            "image",
            "foto.png",
            "image/png",
        )
        assert image.payload["email"]["inline"] is True
        assert (document.kind, document.media_name) == ("document", "nota fiscal.pdf")
        assert document.media.name.startswith("tenants/alpha/")
        assert document.media.read().startswith(b"%PDF-1.4")
        assert {m.ticket_id for m in (text, image, document)} == {text.ticket_id}
    assert list((media_root / "tenants" / "alpha" / "email").glob("*.eml"))


def test_a_forwarded_mail_keeps_the_forwarded_text(
    alpha, imap, mailbox, django_capture_on_commit_callbacks
):
    imap.deliver(SUPPORT, PASSWORD, mail_file("forwarded.eml"))

    read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)

    with tenant_scope(alpha.tenant):
        [message] = Message.objects.all()
        assert message.body == "Vejam a mensagem abaixo, por favor."
        assert "A garantia cobre 12 meses." in message.payload["email"]["quoted"]
        assert "Loja Parceira" in message.payload["email"]["quoted"]


def test_auto_replies_open_no_ticket_and_bounces_fail_our_message(
    alpha, imap, smtp, mailbox, django_capture_on_commit_callbacks
):
    ticket, reply = _answered_mail(
        alpha, imap, mailbox, django_capture_on_commit_callbacks, "Enviado hoje."
    )

    imap.deliver(SUPPORT, PASSWORD, mail_file("auto_reply.eml"))
    bounce = mail_file("bounce.eml").replace(
        b"MESSAGE_ID_PLACEHOLDER", reply.provider_message_id.encode()
    )
    imap.deliver(SUPPORT, PASSWORD, bounce)
    outcome = read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)

    assert outcome.mails == 2
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.count() == 1
        assert (
            Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1
        )  # the first mail only
        reply.refresh_from_db()
        assert reply.status == "failed"
        assert reply.error_code == "email_bounced"
        assert "user unknown" in reply.error_detail


def test_two_tenants_with_the_same_mailbox_address_never_mix(
    alpha, beta, imap, smtp, mailbox, django_capture_on_commit_callbacks
):
    # beta's connection has the same address, its own mailbox on the server.
    beta_mailbox = email_connection(beta.tenant, imap, smtp, SUPPORT)
    with tenant_scope(beta.tenant):
        beta_mailbox.credentials = credentials(
            imap, smtp, SUPPORT, imap_username="support@beta.test"
        )
        beta_mailbox.save()
    imap.deliver(SUPPORT, PASSWORD, mail_file("latin1.eml"))
    imap.deliver("support@beta.test", PASSWORD, mail_file("multipart_alternative.eml"))

    read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)
    read_and_process(beta.tenant, beta_mailbox, django_capture_on_commit_callbacks)

    with tenant_scope(alpha.tenant):
        assert list(Message.objects.values_list("ticket__contact__name", flat=True)) == [
            "João Lima"
        ]
        [message] = Message.objects.all()
    with tenant_scope(beta.tenant):
        assert list(Message.objects.values_list("ticket__contact__name", flat=True)) == [
            "Ana Souza"
        ]
        assert InboundEvent.objects.count() == 1
    assert "tenants/alpha/" in message.payload["email"]["stored_name"]


def test_oversized_mail_and_a_looping_sender_are_set_aside_with_a_record(
    alpha, imap, mailbox, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_SENDER_MAX_PER_HOUR = 2
    for number in range(3):
        imap.deliver(
            SUPPORT,
            PASSWORD,
            (
                "From: robot@loop.example\r\nTo: support@acme.test\r\n"
                f"Subject: Ticket {number}\r\nMessage-ID: <loop-{number}@loop.example>\r\n\r\n"
                "Thanks for your message.\r\n"
            ).encode(),
        )
    big = mail_file("latin1.eml").replace(b"10 unidades", b"10 unidades " + b"x" * 4000)
    imap.deliver(SUPPORT, PASSWORD, big)
    settings.EMAIL_MAX_BYTES = 3000

    read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)

    with tenant_scope(alpha.tenant):
        assert Message.objects.count() == 2
        quarantined = dict(
            InboundEvent.objects.filter(status="quarantined").values_list(
                "last_error", "item__raw__uid"
            )
        )
        assert quarantined == {"sender_rate_limited": 3, "mail_too_large": 4}


def test_test_connection_really_signs_in_and_refuses_a_wrong_password(
    alpha, imap, smtp, media_root
):
    from accounts.tests.factories import AdminFactory
    from channels_integrations.services.connections import connection_create

    with tenant_scope(alpha.tenant):
        with pytest.raises(ApplicationError) as refused:
            connection_create(
                by=AdminFactory(),
                provider="email",
                name="Errado",
                credentials=credentials(imap, smtp, SUPPORT, imap_password="wrong"),
            )
        assert refused.value.code == "credentials_rejected"
        assert "imap_password" in refused.value.extra["fields"]["credentials"]
    imap.stop()
    with tenant_scope(alpha.tenant):
        with pytest.raises(ApplicationError) as unreachable:
            connection_create(
                by=AdminFactory(),
                provider="email",
                name="Fora",
                credentials=credentials(imap, smtp, SUPPORT),
            )
        assert unreachable.value.code == "provider_unreachable"
    imap.start()


def test_plaintext_servers_are_refused_unless_the_installation_allows_them(settings):
    from channels_integrations.providers.email.config import EmailCredentialsSerializer

    settings.EMAIL_CHANNEL_ALLOW_PLAINTEXT = False
    data = {
        "address": SUPPORT,
        "imap_host": "mail.acme.test",
        "imap_port": 143,
        "imap_security": "none",
        "imap_username": SUPPORT,
        "imap_password": "x",
        "smtp_host": "mail.acme.test",
        "smtp_port": 587,
    }
    serializer = EmailCredentialsSerializer(data=data)
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"imap_security"}
    assert EmailCredentialsSerializer(data={**data, "imap_security": "ssl"}).is_valid()


def test_the_panel_shows_subject_cc_checks_quoted_text_and_blocks_remote_images(
    alpha, imap, mailbox, django_capture_on_commit_callbacks
):
    from accounts.tests.factories import AdminFactory
    from conftest import signed_in_client

    imap.deliver(SUPPORT, PASSWORD, mail_file("multipart_alternative.eml"))
    read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        message = Message.objects.get()
        admin = AdminFactory()
    client = signed_in_client(alpha, admin)

    response = client.get(
        f"/tickets/{message.ticket.public_id}/messages/{message.public_id}/", HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Pedido 4512 atrasado" in page
    assert "bruno@cliente.example" in page
    assert "SPF pass" in page
    assert 'data-testid="email-quoted"' in page
    blocked, with_images = page.split('data-testid="email-show-images"')
    assert "tracker.example" not in blocked.split('data-testid="email-html"')[1]
    # The frame with images has no source until "Show images" is opened.
    assert 'data-srcdoc="' in with_images
    assert " srcdoc=" not in with_images
    assert "tracker.example/pixel.gif" in with_images
    assert "alert(1)" not in page


def test_the_beat_starts_one_bounded_job_per_connection_and_a_held_lock_skips_it(
    alpha, imap, mailbox, published, django_capture_on_commit_callbacks
):
    from celery import current_app as app
    from django.core.cache import cache

    from channels_integrations.services.email_inbound import mailbox_watch
    from channels_integrations.tasks import email_mailboxes_watch_task

    schedule = app.conf.beat_schedule["email-mailboxes-watch"]
    assert schedule["args"] == ("channels_integrations.tasks.email_mailboxes_watch_task",)
    imap.deliver(SUPPORT, PASSWORD, mail_file("latin1.eml"))
    with tenant_scope(alpha.tenant):
        assert email_mailboxes_watch_task.apply().get() == 1
        watch = "channels_integrations.tasks.email_mailbox_watch_task"
        assert [(name, args) for name, args, _schema in published if name == watch] == [
            (watch, (mailbox.pk,))
        ]
        cache.add(f"email-watch:{mailbox.pk}", 1, 60)  # another job of it is running
        assert mailbox_watch(connection_id=mailbox.pk, seconds=1).mails == 0
        cache.delete(f"email-watch:{mailbox.pk}")
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            outcome = mailbox_watch(connection_id=mailbox.pk, seconds=2)
        assert outcome.mails == 1
        assert time.monotonic() - started < 2 + 5  # bounded: it returns after its seconds
        assert InboundEvent.objects.count() == 1


def test_a_reply_all_from_a_cc_and_a_mail_naming_the_protocol_join_the_ticket(
    alpha, imap, smtp, mailbox, django_capture_on_commit_callbacks
):
    ticket, reply = _answered_mail(
        alpha, imap, mailbox, django_capture_on_commit_callbacks, "Vamos verificar."
    )
    # Bruno (in Cc) answers all: his mail names our reply, from another address than Ana's.
    imap.deliver(
        SUPPORT,
        PASSWORD,
        (
            "From: Bruno Lima <bruno@cliente.example>\r\nTo: support@acme.test\r\n"
            "Subject: Re: Pedido 4512 atrasado\r\nMessage-ID: <bruno-1@cliente.example>\r\n"
            f"In-Reply-To: {reply.provider_message_id}\r\n"
            f"References: <CAF1a2b3c4@mail.cliente.example> {reply.provider_message_id}\r\n"
            "\r\nEu também aguardo.\r\n"
        ).encode(),
    )
    # Ana writes from her personal address to the reply address, which names the ticket.
    imap.deliver(
        SUPPORT,
        PASSWORD,
        (
            f"From: Ana <ana@pessoal.example>\r\nTo: support+{ticket.protocol}@acme.test\r\n"
            "Subject: Outra coisa\r\nMessage-ID: <ana-2@pessoal.example>\r\n"
            "\r\nMandei do outro e-mail.\r\n"
        ).encode(),
    )
    # A new subject from a stranger opens its own ticket.
    imap.deliver(
        SUPPORT,
        PASSWORD,
        (
            "From: Carla <carla@outra.example>\r\nTo: support@acme.test\r\n"
            "Subject: Orçamento\r\nMessage-ID: <carla-1@outra.example>\r\n\r\nOlá\r\n"
        ).encode(),
    )

    read_and_process(alpha.tenant, mailbox, django_capture_on_commit_callbacks)

    with tenant_scope(alpha.tenant):
        bruno = Message.objects.get(provider_message_id="<bruno-1@cliente.example>")
        ana = Message.objects.get(provider_message_id="<ana-2@pessoal.example>")
        carla = Message.objects.get(provider_message_id="<carla-1@outra.example>")
        assert bruno.ticket_id == ticket.pk
        assert bruno.sender_contact.name == "Bruno Lima"
        assert ana.ticket_id == ticket.pk
        assert carla.ticket_id != ticket.pk
        assert Ticket.objects.count() == 2
