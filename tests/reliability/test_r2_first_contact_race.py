"""R2: a new contact's first messages arrive all at once (a provider delivering in parallel).

Each thread does what inbound processing does for one message: find or create the contact by
its provider identity, then store the message on the contact's ticket (opened or reused). Real
threads, real connections, committed rows: exactly one contact, one identity, one open ticket
and every message stored once.
"""

from __future__ import annotations

import uuid

from contacts.models import Contact, ContactIdentity
from contacts.services import contact_upsert_from_identity
from tenants.tenancy import tenant_scope
from tests.reliability.conftest import scaled
from tests.support.concurrency import in_thread, run_in_threads
from tickets.models import Message, Ticket, TicketEvent
from tickets.services.messages import ReceivedMessage, message_receive
from tickets.tests.factories import ConnectionFactory


def test_racing_first_messages_of_a_new_contact_make_one_contact_and_one_ticket(
    alpha, report_figure
):
    tenant = alpha.tenant
    count = scaled(20)
    external_id = f"r2-{uuid.uuid4().hex[:12]}"
    connection_id = in_thread(lambda: _in(tenant, lambda: ConnectionFactory().pk))

    def first_message(i: int) -> int:
        def work() -> int:
            from connections.models import ChannelConnection

            contact, _ = contact_upsert_from_identity(
                provider="telegram", external_id=external_id, name="Primeiro Contato"
            )
            message, created = message_receive(
                received=ReceivedMessage(
                    connection=ChannelConnection.objects.get(pk=connection_id),
                    contact=contact,
                    body=f"mensagem {i}",
                    provider_message_id=f"{external_id}-{i}",
                )
            )
            assert created
            return message.ticket_id

        return _in(tenant, work)

    def counts_and_cleanup() -> tuple[int, int, int, int, int]:
        def work() -> tuple[int, int, int, int, int]:
            identities = ContactIdentity.objects.filter(
                provider="telegram", external_id=external_id
            )
            contacts = Contact.objects.filter(identities__in=identities).distinct()
            tickets = Ticket.objects.filter(contact__in=contacts)
            messages = Message.objects.filter(ticket__in=tickets)
            counted = (
                contacts.count(),
                identities.count(),
                tickets.count(),
                tickets.exclude(status=Ticket.Status.CLOSED).count(),
                messages.values("provider_message_id").distinct().count(),
            )
            messages.delete()
            TicketEvent.objects.filter(ticket__in=tickets).delete()
            tickets.delete()
            contacts.delete()
            from connections.models import ChannelConnection

            ChannelConnection.objects.filter(pk=connection_id).delete()
            return counted

        return _in(tenant, work)

    try:
        ticket_ids, errors = run_in_threads(count, first_message)
    finally:
        contacts, identities, tickets, open_tickets, messages = in_thread(counts_and_cleanup)

    report_figure(
        f"R2: {count} racing first messages -> {contacts} contact(s), {tickets} ticket(s), "
        f"{messages} message(s), {len(errors)} error(s)"
    )
    assert errors == []
    assert (contacts, identities, tickets, open_tickets) == (1, 1, 1, 1)
    assert messages == count
    assert len(set(ticket_ids)) == 1


def _in(tenant, func):
    with tenant_scope(tenant):
        return func()
