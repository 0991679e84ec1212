"""Two workers processing events of the same connection at the same moment each process their
own: the row lock taken by one never makes the other skip its event (committed rows, threads)."""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction

from channels_integrations.models import InboundEvent
from channels_integrations.providers.base import InboundMessage
from channels_integrations.services.inbound import (
    _lock_received,
    inbound_event_process,
    inbound_events_record,
)
from connections.models import ChannelConnection
from contacts.models import Contact
from tenants.tenancy import tenant_scope
from tests.support.concurrency import in_thread, run_in_threads
from tickets.models import Message, Ticket, TicketEvent
from tickets.tests.factories import ConnectionFactory


def _item(n: int) -> InboundMessage:
    return InboundMessage(
        event_id=f"conc-{n}",
        external_id=f"conc-chat-{n}",
        provider_message_id=f"conc-msg-{n}",
        kind="text",
        body=f"mensagem {n}",
        contact_name=f"Cliente {n}",
    )


def test_an_event_is_processed_while_another_event_of_its_connection_is_held(alpha):
    tenant = alpha.tenant

    def seed() -> tuple[int, int, int]:
        with tenant_scope(tenant):
            connection: Any = ConnectionFactory(provider="telegram")
            first, second = inbound_events_record(connection=connection, items=[_item(1), _item(2)])
            return connection.pk, first, second

    connection_id, held_id, other_id = in_thread(seed)
    holding, done = threading.Event(), threading.Event()

    def worker(index: int) -> str:
        with tenant_scope(tenant):
            if index == 0:  # a worker in the middle of processing the first event
                with transaction.atomic():
                    held = InboundEvent.objects.get(pk=held_id)
                    assert _lock_received(held) is not None
                    holding.set()
                    done.wait(timeout=20)
                return "held"
            holding.wait(timeout=20)
            event = inbound_event_process(event_id=other_id)
            done.set()
            return event.status if event else "missing"

    def cleanup() -> None:
        with tenant_scope(tenant):
            tickets = Ticket.objects.filter(connection_id=connection_id)
            contacts = list(tickets.values_list("contact_id", flat=True))
            Message.objects.filter(ticket__in=tickets).delete()
            TicketEvent.objects.filter(ticket__in=tickets).delete()
            tickets.delete()
            Contact.objects.filter(pk__in=contacts).delete()
            InboundEvent.objects.filter(connection_id=connection_id).delete()
            ChannelConnection.objects.filter(pk=connection_id).delete()

    try:
        results, errors = run_in_threads(2, worker, start_together=False)
    finally:
        in_thread(cleanup)
    assert errors == []
    assert results == ["held", InboundEvent.Status.PROCESSED]
