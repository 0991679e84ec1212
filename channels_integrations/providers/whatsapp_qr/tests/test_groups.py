"""WhatsApp groups on a QR number: one group ticket per group (the group is the contact, named
by its subject, each message naming who wrote it) when the tenant reads groups; acknowledged
and left out when it ignores them (the default); two tenants with the same group kept apart.
(No out-of-hours notice to a group: automation/tests/test_business_hours.py.)"""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from accounts.tests.factories import AdminFactory
from channels_integrations.models import InboundEvent
from channels_integrations.providers.whatsapp_qr.tests.support import instance_of, qr_connection
from channels_integrations.services.read_receipts import read_receipt_send
from channels_integrations.services.sessions import connections_calls_apply
from channels_integrations.tasks import outbound_message_deliver_task
from channels_integrations.tests.support import process_all
from contacts.models import Contact
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.services.messages import message_react, message_send

GROUP = "120363025246125244"
ANA, BRUNO = "5511988887777", "5511977776666"


def _deliver(gateway, tenant, capture):
    with capture(execute=True):
        statuses = gateway.evolution.release()
        process_all(tenant)
    return statuses


def _groups_read(tenant, read: bool) -> None:
    with tenant_scope(tenant):
        tenant_settings_update(tenant=tenant, values={"ignore_group_messages": not read})
        connections_calls_apply()


@pytest.fixture
def paired(alpha, gateway, media_root, django_capture_on_commit_callbacks):
    connection = qr_connection(alpha.tenant)
    gateway.evolution.scan(instance_of(connection), number="5511900000000")
    gateway.evolution.groups[GROUP] = {"subject": "Clientes VIP"}
    _deliver(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    return connection


def test_read_groups_open_one_group_ticket_naming_each_sender(
    alpha, gateway, paired, django_capture_on_commit_callbacks
):
    _groups_read(alpha.tenant, True)
    name = instance_of(paired)
    assert gateway.evolution.instances[name].settings["groupsIgnore"] is False
    gateway.evolution.customer_text(name, sender=ANA, text="Bom dia", push_name="Ana", group=GROUP)
    gateway.evolution.customer_text(name, sender=BRUNO, text="Oi", push_name="Bruno", group=GROUP)
    gateway.evolution.customer_text(name, sender=ANA, text="Só eu", push_name="Ana")

    assert _deliver(gateway, alpha.tenant, django_capture_on_commit_callbacks) == [200] * 3

    with tenant_scope(alpha.tenant):
        group = Contact.objects.get(is_group=True)
        person = Contact.objects.get(is_group=False)
        group_ticket = Ticket.objects.get(contact=group)
        rows = list(
            Message.objects.filter(ticket=group_ticket)
            .order_by("id")
            .values_list("body", "payload__group_sender")
        )
        html = render_to_string(
            "tickets/partials/_message.html",
            {
                "message": Message.objects.get(body="Oi"),
                "ticket": group_ticket,
                "user": AdminFactory(),
                "can": {},
            },
        )
        assert Ticket.objects.count() == 2
        assert Message.objects.get(body="Só eu").ticket.contact == person
    assert (group.name, group.phone) == ("Clientes VIP", "")
    assert (person.name, person.phone) == ("Ana", "+5511988887777")  # not the group's sender
    assert rows == [
        ("Bom dia", {"name": "Ana", "number": ANA}),
        ("Oi", {"name": "Bruno", "number": BRUNO}),
    ]
    assert 'data-testid="message-group-sender">Bruno · +5511977776666<' in html
    [asked] = [r for r in gateway.requests if r.method == "findGroupInfos"]
    assert asked.status == 200


def test_an_agents_reply_goes_to_the_group(
    alpha, gateway, paired, django_capture_on_commit_callbacks
):
    _groups_read(alpha.tenant, True)
    name = instance_of(paired)
    gateway.evolution.customer_text(name, sender=ANA, text="Alguém?", group=GROUP)
    _deliver(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        admin = AdminFactory()
        Ticket.objects.filter(pk=ticket.pk).update(status="open", assignee=admin)
        with django_capture_on_commit_callbacks(execute=True):
            reply = message_send(ticket=ticket, by=admin, body="Estamos aqui")
        outbound_message_deliver_task.apply(args=(reply.delivery.pk,))
        reply.refresh_from_db()

    [sent] = gateway.sends()
    assert (sent.method, sent.body["number"]) == ("sendText", f"{GROUP}@g.us")
    assert reply.status == "sent"
    # Nobody in the group is told the business read it; a reaction names who wrote the message.
    with tenant_scope(alpha.tenant):
        question = Message.objects.get(body="Alguém?")
        assert read_receipt_send(message_id=question.pk).result == "unsupported"
        with django_capture_on_commit_callbacks(execute=True):
            reaction = message_react(message=question, by=admin, emoji="👍")
        assert outbound_message_deliver_task.apply(args=(reaction.delivery.pk,)).get() == "sent"
    assert [r for r in gateway.requests if r.method == "markMessageAsRead"] == []
    [reacted] = [r.body for r in gateway.requests if r.method == "sendReaction"]
    assert reacted["key"] == {
        "remoteJid": f"{GROUP}@g.us",
        "fromMe": False,
        "id": question.provider_message_id,
        "participant": f"{ANA}@s.whatsapp.net",
    }


def test_ignored_groups_are_acknowledged_and_open_no_ticket(
    alpha, gateway, paired, django_capture_on_commit_callbacks
):
    name = instance_of(paired)
    # The default: the gateway is told to leave groups out...
    assert gateway.evolution.instances[name].settings["groupsIgnore"] is True
    assert gateway.evolution.customer_text(name, sender=ANA, text="x", group=GROUP) == ""
    # ...and one that still arrives (sent before the setting reached it) is acknowledged,
    # kept as an event, and opens nothing.
    gateway.evolution.instances[name].settings["groupsIgnore"] = False
    gateway.evolution.customer_text(name, sender=ANA, text="Oi grupo", group=GROUP)

    assert _deliver(gateway, alpha.tenant, django_capture_on_commit_callbacks) == [200]

    with tenant_scope(alpha.tenant):
        event = InboundEvent.objects.get(provider_event_id__startswith="msg:")
        assert (event.status, event.last_error) == ("processed", "group_ignored")
        assert not Ticket.objects.exists()
        assert not Contact.objects.exists()


def test_two_tenants_with_the_same_group_never_mix(
    alpha, beta, gateway, media_root, django_capture_on_commit_callbacks
):
    gateway.evolution.groups[GROUP] = {"subject": "Mesmo grupo"}
    connections = {}
    for fixture, text in ((alpha, "para alpha"), (beta, "para beta")):
        connection = qr_connection(fixture.tenant)
        connections[fixture] = connection
        gateway.evolution.scan(instance_of(connection), number="5511900000001")
        _groups_read(fixture.tenant, True)
        gateway.evolution.customer_text(instance_of(connection), sender=ANA, text=text, group=GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        gateway.evolution.release()
        process_all(alpha.tenant)
        process_all(beta.tenant)

    for fixture, text in ((alpha, "para alpha"), (beta, "para beta")):
        with tenant_scope(fixture.tenant):
            assert list(Message.objects.values_list("body", flat=True)) == [text]
            assert Contact.objects.get().is_group
