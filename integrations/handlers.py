"""Domain event subscribers of the webhooks (listed in ``tiktickets/event_handlers.py``): each
reads the committed row only when a subscription wants the event, and stores deliveries whose
tasks are enqueued after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from channels_integrations.domain_events import ConnectionStatusChanged
from connections.models import ChannelConnection
from contacts.domain_events import ContactCreated, ContactUpdated
from contacts.models import Contact
from core.event_bus import DomainEvent, together_memo
from integrations.models import WebhookSubscription
from integrations.services.webhooks import webhook_fan_out
from integrations.subscribed_types import subscribed_event_types
from integrations.webhook_events import (
    connection_data,
    contact_data,
    external_key_of,
    hook_message_body,
    hook_message_status_body,
    hook_session_status_body,
    message_data,
    ticket_data,
)
from tickets.domain_events import (
    MessageCreated,
    MessageStatusChanged,
    MessageUpdated,
    TicketClosed,
    TicketCreated,
    TicketTransferred,
    TicketUpdated,
)
from tickets.models import Message, Ticket


def _subscribed_types(_events: Sequence[DomainEvent]) -> frozenset[str]:
    return subscribed_event_types()


def _wanted(*event_types: str) -> bool:
    """Whether an active subscription wants any of these types: no query when nobody
    subscribed (the types are kept in Redis, ``integrations.subscribed_types``; read once per
    batch for the events of an inbound batch)."""
    subscribed = together_memo("webhooks.subscribed_types", _subscribed_types)
    if subscribed is None:
        subscribed = subscribed_event_types()
    return not subscribed.isdisjoint(event_types)


def _message(message_id: int) -> Message | None:
    return (
        Message.objects.select_related("ticket__contact", "connection")
        .filter(pk=message_id)
        .first()
    )


def _ticket(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related("contact", "connection", "queue", "assignee")
        .filter(pk=ticket_id)
        .first()
    )


def _message_event(event_type: str, message_id: int, hook: str = "") -> None:
    if not _wanted(event_type, *([hook] if hook else [])):
        return
    message = _message(message_id)
    if message is None:
        return

    def compatible(_sub: WebhookSubscription, at: datetime) -> dict[str, Any] | None:
        external_key = external_key_of(message.ticket)
        if external_key is None:
            return None  # the original called back only for tickets its API started
        if hook == "hookMessage":
            return hook_message_body(message, external_key, at.isoformat())
        return hook_message_status_body(message, external_key)

    ordering_key = str(message.ticket.public_id)
    webhook_fan_out(
        event_type=event_type, data=lambda: message_data(message), ordering_key=ordering_key
    )
    if hook:
        webhook_fan_out(
            event_type=hook, data=dict, compatible=compatible, ordering_key=ordering_key
        )


def webhooks_on_message_created(event: MessageCreated) -> None:
    if not _wanted("message.created", "hookMessage"):
        return
    message = _message(event.message_id)
    inbound = message is not None and message.direction == Message.Direction.INBOUND
    _message_event("message.created", event.message_id, "hookMessage" if inbound else "")


def webhooks_on_message_updated(event: MessageUpdated) -> None:
    _message_event("message.updated", event.message_id)


def webhooks_on_message_status_changed(event: MessageStatusChanged) -> None:
    _message_event("message.status", event.message_id, "hookMessageStatus")


def _ticket_event(event_type: str, ticket_id: int) -> Ticket | None:
    if not _wanted(event_type):
        return None
    ticket = _ticket(ticket_id)
    if ticket is not None:
        webhook_fan_out(
            event_type=event_type,
            data=lambda: ticket_data(ticket),
            ordering_key=str(ticket.public_id),
        )
    return ticket


def webhooks_on_ticket_created(event: TicketCreated) -> None:
    _ticket_event("ticket.created", event.ticket_id)


def _ticket_changed(event_type: str, ticket_id: int, previous_assignee_id: int | None) -> None:
    if not _wanted(event_type, "ticket.assigned"):
        return
    _ticket_event(event_type, ticket_id)
    assignee_id = Ticket.objects.filter(pk=ticket_id).values_list("assignee_id", flat=True).first()
    if assignee_id != previous_assignee_id:
        _ticket_event("ticket.assigned", ticket_id)


def webhooks_on_ticket_updated(event: TicketUpdated) -> None:
    _ticket_changed("ticket.updated", event.ticket_id, event.previous_assignee_id)


def webhooks_on_ticket_transferred(event: TicketTransferred) -> None:
    _ticket_changed("ticket.transferred", event.ticket_id, event.previous_assignee_id)


def webhooks_on_ticket_closed(event: TicketClosed) -> None:
    _ticket_event("ticket.closed", event.ticket_id)


def _contact_event(event_type: str, contact_id: int) -> None:
    if not _wanted(event_type):
        return
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is not None:
        webhook_fan_out(event_type=event_type, data=lambda: contact_data(contact))


def webhooks_on_contact_created(event: ContactCreated) -> None:
    _contact_event("contact.created", event.contact_id)


def webhooks_on_contact_updated(event: ContactUpdated) -> None:
    _contact_event("contact.updated", event.contact_id)


def webhooks_on_connection_status_changed(event: ConnectionStatusChanged) -> None:
    if not _wanted("connection.status", "hookSessionStatus"):
        return
    connection = ChannelConnection.objects.filter(pk=event.connection_id).first()
    if connection is None:
        return
    webhook_fan_out(event_type="connection.status", data=lambda: connection_data(connection))
    webhook_fan_out(
        event_type="hookSessionStatus",
        data=dict,
        compatible=lambda _sub, at: hook_session_status_body(connection, at.isoformat()),
    )
