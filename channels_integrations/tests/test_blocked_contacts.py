"""A blocked contact's messages are kept for audit (admins read them on the contact) but open
no ticket, get no greeting, and notify nobody; through the real inbound pipeline, on two
tenants."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from channels_integrations.models import BlockedMessage, InboundEvent
from channels_integrations.services.inbound import inbound_events_record
from channels_integrations.tasks import inbound_event_process_task
from channels_integrations.tests.sample_provider import SampleProvider
from channels_integrations.tests.support import body_of, sample_connection, text_item
from conftest import signed_in_client
from contacts.models import Contact, ContactIdentity
from contacts.services import contact_block
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import QueueFactory


def receive(connection, capture, *raw_items):
    items = SampleProvider().parse_inbound(body_of(*raw_items))
    with capture(execute=True):
        for event_id in inbound_events_record(connection=connection, items=items):
            inbound_event_process_task.apply(args=(event_id,))


@pytest.fixture
def connection(alpha, sample_providers, media_root):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(greeting_message="Fila.")
    connection = sample_connection(alpha.tenant, default_queue=queue, greeting_message="Olá!")
    with tenant_scope(alpha.tenant):
        yield connection


def test_a_blocked_contacts_message_is_kept_but_opens_no_ticket_and_sends_nothing(
    connection, published, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    receive(connection, capture, text_item("e1", "chat-1", "primeira"))
    contact = Contact.objects.get()
    Ticket.objects.update(status="closed", closed_at="2026-01-01T00:00:00Z")
    contact_block(contact=contact)
    messages_before = Message.objects.count()
    published.clear()

    receive(
        connection,
        capture,
        text_item("e2", "chat-1", "compre agora", date=1_790_000_000),
        text_item("e3", "chat-1", "", media={"url": "https://x/y", "filename": "spam.pdf"}),
    )

    assert Ticket.objects.filter(status__in=["pending", "open"]).count() == 0
    assert Message.objects.count() == messages_before  # no message, no greeting
    kept = list(BlockedMessage.objects.order_by("id").values_list("body", "media_name"))
    assert kept == [("compre agora", ""), ("", "spam.pdf")]
    assert BlockedMessage.objects.order_by("id")[0].received_at.timestamp() == 1_790_000_000
    notes = set(
        InboundEvent.objects.filter(provider_event_id__in=["e2", "e3"]).values_list(
            "status", "last_error"
        )
    )
    assert notes == {("processed", "contact_blocked")}
    # Nothing reacted: no realtime event, no automation task, no outbound delivery.
    assert [name for name, _args, _schema in published if "inbound" not in name] == []


def test_processing_a_blocked_message_twice_keeps_it_once(
    connection, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    contact = Contact.objects.create(name="Spam")
    ContactIdentity.objects.create(contact=contact, provider="sample", external_id="chat-2")
    contact_block(contact=contact)
    receive(connection, capture, text_item("e1", "chat-2", "oi"))
    inbound_event_process_task.apply(args=(InboundEvent.objects.get().pk,))

    assert BlockedMessage.objects.count() == 1
    assert not Ticket.objects.exists()


def test_admins_read_them_on_the_contact_agents_do_not_and_tenants_never_mix(
    alpha, beta, sample_providers, media_root, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    at_beta = sample_connection(beta.tenant)
    with tenant_scope(beta.tenant):
        receive(at_beta, capture, text_item("b0", "chat-1", "beta first"))
        contact_block(contact=Contact.objects.get())
        Ticket.objects.update(status="closed", closed_at="2026-01-01T00:00:00Z")
        receive(at_beta, capture, text_item("b1", "chat-1", "segredo da beta"))
    at_alpha = sample_connection(alpha.tenant)
    with tenant_scope(alpha.tenant):
        receive(at_alpha, capture, text_item("a0", "chat-1", "alpha first"))
        contact = Contact.objects.get()
        contact_block(contact=contact)
        Ticket.objects.update(status="closed", closed_at="2026-01-01T00:00:00Z")
        receive(at_alpha, capture, text_item("a1", "chat-1", "mensagem bloqueada"))
        agent = UserFactory()
        contact.owners.add(agent)  # the agent may see the contact
        admin = User.objects.get(email=alpha.admin_email)

    url = f"/contacts/{contact.public_id}/"
    as_admin = signed_in_client(alpha, admin, alpha.admin_password).get(url)
    as_agent = signed_in_client(alpha, agent).get(url)

    assert as_admin.status_code == 200
    assert b"mensagem bloqueada" in as_admin.content
    assert b"segredo da beta" not in as_admin.content
    assert as_agent.status_code == 200
    assert b"mensagem bloqueada" not in as_agent.content
