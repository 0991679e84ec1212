"""Messages both ways through the real pipelines and the simulated gateway: customers' messages
(once, whatever the redeliveries), their files in tenant-private storage, voice notes, our
replies and their ticks, messages typed on the phone, and two tenants with the same number."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory
from channels_integrations.providers.whatsapp_qr.tests.support import (
    instance_of,
    qr_connection,
    webhooks_processed,
)
from channels_integrations.tasks import outbound_message_deliver_task
from channels_integrations.tests.support import process_all
from contacts.models import Contact
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.services.messages import message_send

CUSTOMER = "5511988887777"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
OGG = b"OggS" + b"\x00" * 200


@pytest.fixture
def paired(alpha, gateway, media_root, django_capture_on_commit_callbacks):
    connection = qr_connection(alpha.tenant)
    gateway.evolution.scan(instance_of(connection), number="5511900000000")
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    return connection


def _messages(tenant):
    with tenant_scope(tenant):
        return list(Message.objects.order_by("id"))


def test_redeliveries_of_a_message_are_one_message(
    alpha, gateway, paired, django_capture_on_commit_callbacks
):
    name = instance_of(paired)
    gateway.evolution.customer_text(name, sender=CUSTOMER, text="Oi!", message_id="3EB0DUP1")
    gateway.evolution.held *= 3  # the gateway posts the same body three times

    statuses = webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)

    assert statuses == [200, 200, 200]
    [message] = _messages(alpha.tenant)
    assert (message.body, message.provider_message_id, message.direction) == (
        "Oi!",
        "3EB0DUP1",
        "in",
    )
    with tenant_scope(alpha.tenant):
        contact = Contact.objects.get()
        assert (contact.name, contact.phone) == ("Cliente", "+5511988887777")


def test_files_are_stored_privately_and_a_voice_note_stays_one(
    alpha, gateway, paired, media_root, django_capture_on_commit_callbacks
):
    name = instance_of(paired)
    gateway.evolution.customer_file(
        name, sender=CUSTOMER, kind="image", content=JPEG, mimetype="image/jpeg", caption="Foto"
    )
    gateway.evolution.customer_file(
        name, sender=CUSTOMER, kind="audio", content=OGG, mimetype="audio/ogg", ptt=True
    )
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)

    image, voice = _messages(alpha.tenant)
    assert (image.kind, image.body, image.media_mime) == ("image", "Foto", "image/jpeg")
    assert image.media.name.startswith("tenants/alpha/")
    assert (media_root / image.media.name).read_bytes() == JPEG
    assert (voice.kind, voice.payload.get("voice")) == ("audio", True)
    assert (media_root / voice.media.name).read_bytes() == OGG


def test_a_reply_goes_out_quoting_and_its_ticks_come_back(
    alpha, gateway, paired, django_capture_on_commit_callbacks
):
    name = instance_of(paired)
    gateway.evolution.customer_text(name, sender=CUSTOMER, text="Cadê?", message_id="3EB0Q1")
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        [question] = Message.objects.all()
        admin = AdminFactory()
        Ticket.objects.filter(pk=question.ticket_id).update(status="open", assignee=admin)
        with django_capture_on_commit_callbacks(execute=True):
            reply = message_send(ticket=question.ticket, by=admin, body="Já saiu!", quoted=question)
        outbound_message_deliver_task.apply(args=(reply.delivery.pk,))
        reply.refresh_from_db()

    [sent] = gateway.sends()
    assert (sent.method, sent.body["number"], sent.body["text"]) == (
        "sendText",
        CUSTOMER,
        "Já saiu!",
    )
    assert sent.body["quoted"] == {"key": {"id": "3EB0Q1"}}
    assert reply.status == "sent"
    assert reply.provider_message_id

    gateway.evolution.ack(
        name, message_id=reply.provider_message_id, to=CUSTOMER, status="DELIVERY_ACK"
    )
    gateway.evolution.ack(name, message_id=reply.provider_message_id, to=CUSTOMER, status="READ")
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        reply.refresh_from_db()
    assert reply.status == "read"


def test_an_agents_audio_goes_out_as_a_voice_note(
    alpha, gateway, paired, django_capture_on_commit_callbacks
):
    name = instance_of(paired)
    gateway.evolution.customer_text(name, sender=CUSTOMER, text="Manda áudio")
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        admin = AdminFactory()
        Ticket.objects.filter(pk=ticket.pk).update(status="open", assignee=admin)
        audio = SimpleUploadedFile("nota.ogg", OGG, content_type="audio/ogg")
        with django_capture_on_commit_callbacks(execute=True):
            reply = message_send(ticket=ticket, by=admin, media=audio)
        outbound_message_deliver_task.apply(args=(reply.delivery.pk,))

    [sent] = gateway.sends()
    assert sent.method == "sendWhatsAppAudio"
    assert sent.body["number"] == CUSTOMER


def test_a_message_typed_on_the_phone_is_the_business_and_our_own_echo_is_no_duplicate(
    alpha, gateway, paired, django_capture_on_commit_callbacks
):
    name = instance_of(paired)
    gateway.evolution.customer_text(name, sender=CUSTOMER, text="Oi")
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        admin = AdminFactory()
        Ticket.objects.filter(pk=ticket.pk).update(status="open", assignee=admin)
        with django_capture_on_commit_callbacks(execute=True):
            ours = message_send(ticket=ticket, by=admin, body="Pelo TikTickets")
        outbound_message_deliver_task.apply(args=(ours.delivery.pk,))
        ours.refresh_from_db()

    gateway.evolution.phone_sends(name, to=CUSTOMER, text="Pelo celular")
    # The gateway also reports our own send as a message of the business.
    gateway.evolution._upsert(  # noqa: SLF001 - the gateway's send.message of our reply
        name,
        jid=f"{CUSTOMER}@s.whatsapp.net",
        message={"conversation": "Pelo TikTickets"},
        message_type="conversation",
        from_me=True,
        message_id=ours.provider_message_id,
        event="send.message",
    )
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)

    with tenant_scope(alpha.tenant):
        assert Ticket.objects.count() == 1
        rows = list(Message.objects.order_by("id").values_list("direction", "body"))
        phone = Message.objects.get(body="Pelo celular")
    assert rows == [("in", "Oi"), ("out", "Pelo TikTickets"), ("out", "Pelo celular")]
    assert phone.payload.get("sent_elsewhere") is True


def test_two_tenants_with_the_same_number_and_customer_never_mix(
    alpha, beta, gateway, media_root, django_capture_on_commit_callbacks
):
    """The same phone linked in two tenants (WhatsApp allows several linked devices), and the
    same customer writing to both: each tenant's instance has its own URL and secret."""
    mine = qr_connection(alpha.tenant)
    theirs = qr_connection(beta.tenant)
    for connection, text in ((mine, "para alpha"), (theirs, "para beta")):
        gateway.evolution.scan(instance_of(connection), number="5511900000001")
        gateway.evolution.customer_text(instance_of(connection), sender=CUSTOMER, text=text)
    with django_capture_on_commit_callbacks(execute=True):
        gateway.evolution.release()
    process_all(alpha.tenant)
    process_all(beta.tenant)

    assert [m.body for m in _messages(alpha.tenant)] == ["para alpha"]
    assert [m.body for m in _messages(beta.tenant)] == ["para beta"]
    # beta's secret does not open alpha's URL.
    instance = gateway.evolution.instances[instance_of(mine)]
    instance.webhook_headers = dict(
        gateway.evolution.instances[instance_of(theirs)].webhook_headers
    )
    gateway.evolution.customer_text(instance_of(mine), sender=CUSTOMER, text="forjada")
    assert gateway.evolution.release() == [403]
    assert [m.body for m in _messages(alpha.tenant)] == ["para alpha"]
