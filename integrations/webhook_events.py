"""The catalogue of webhook event types and the payload of each, read from committed rows.

One table (``EVENT_TYPES``) is used by the subscription forms and API (which types exist),
by the fan-out (which domain event becomes which type) and by the documentation
(``manage.py webhook_event_catalogue`` prints it; ``docs/integrations.md`` must match).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from connections.models import ChannelConnection
from contacts.models import Contact
from integrations.models import IdempotencyRecord, WebhookSubscription
from tickets.models import Message, Ticket

STANDARD = WebhookSubscription.Format.STANDARD
COMPATIBLE = WebhookSubscription.Format.COMPATIBLE


@dataclass(frozen=True)
class EventType:
    name: str
    description: str | Promise
    format: str
    data: str  # what ``data`` holds, for the catalogue


EVENT_TYPES: dict[str, EventType] = {
    e.name: e
    for e in (
        EventType(
            "message.created",
            _("A message was received or sent, or a note was added."),
            STANDARD,
            "message",
        ),
        EventType("message.updated", _("A message's text was edited."), STANDARD, "message"),
        EventType(
            "message.status",
            _("A sent message's status changed (sent, delivered, read, failed)."),
            STANDARD,
            "message",
        ),
        EventType("ticket.created", _("A ticket was opened."), STANDARD, "ticket"),
        EventType(
            "ticket.updated",
            _("A ticket changed (status, assignee, tags, unread count)."),
            STANDARD,
            "ticket",
        ),
        EventType("ticket.assigned", _("A ticket got another assignee."), STANDARD, "ticket"),
        EventType(
            "ticket.transferred",
            _("A ticket was transferred to another queue or agent."),
            STANDARD,
            "ticket",
        ),
        EventType("ticket.closed", _("A ticket was closed."), STANDARD, "ticket"),
        EventType("contact.created", _("A contact was created."), STANDARD, "contact"),
        EventType("contact.updated", _("A contact changed."), STANDARD, "contact"),
        EventType(
            "connection.status",
            _("A channel connection connected, failed or was switched on or off."),
            STANDARD,
            "connection",
        ),
        EventType(
            "hookMessage",
            _("Compatible: a customer's message on a ticket started by the external API."),
            COMPATIBLE,
            "hookMessage",
        ),
        EventType(
            "hookMessageStatus",
            _("Compatible: the status of a message on a ticket started by the external API."),
            COMPATIBLE,
            "hookMessageStatus",
        ),
        EventType(
            "hookSessionStatus",
            _("Compatible: a connection's status changed."),
            COMPATIBLE,
            "hookSessionStatus",
        ),
    )
}

TEST_EVENT = "ping"

# whatsapp-web.js acknowledgement numbers, which the compatible callbacks carry.
ACK_OF_STATUS: dict[str, int] = {
    Message.Status.FAILED: -1,
    Message.Status.QUEUED: 0,
    Message.Status.SENT: 1,
    Message.Status.DELIVERED: 2,
    Message.Status.READ: 3,
}


def _ref(obj: Any) -> str | None:
    return None if obj is None else str(obj.public_id)


def external_key_of(ticket: Ticket) -> str | None:
    """The last ``externalKey`` the compatible API sent on this ticket, if any."""
    key = (
        IdempotencyRecord.objects.filter(message__ticket=ticket, key__startswith="external:")
        .order_by("-created_at", "-id")
        .values_list("key", flat=True)
        .first()
    )
    return key.removeprefix("external:") if key else None


def message_data(message: Message) -> dict[str, Any]:
    ticket = message.ticket
    return {
        "id": str(message.public_id),
        "ticket_id": str(ticket.public_id),
        "contact_id": str(ticket.contact.public_id),
        "connection_id": str(message.connection.public_id),
        "direction": message.direction,
        "sender": message.sender,
        "kind": message.kind,
        "body": "" if message.deleted_at else message.body,
        "is_note": message.is_note,
        "status": message.status,
        "error_code": message.error_code,
        "created_at": message.created_at.isoformat(),
        "external_key": external_key_of(ticket),
    }


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": str(ticket.public_id),
        "protocol": ticket.protocol,
        "status": ticket.status,
        "contact_id": str(ticket.contact.public_id),
        "connection_id": str(ticket.connection.public_id),
        "queue": None
        if ticket.queue is None
        else {"id": ticket.queue.pk, "name": ticket.queue.name},
        "assignee": None
        if ticket.assignee is None
        else {"id": ticket.assignee.pk, "name": str(ticket.assignee)},
        "created_at": ticket.created_at.isoformat(),
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
        "external_key": external_key_of(ticket),
    }


def contact_data(contact: Contact) -> dict[str, Any]:
    return {
        "id": str(contact.public_id),
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "is_blocked": contact.is_blocked,
    }


def connection_data(connection: ChannelConnection) -> dict[str, Any]:
    return {
        "id": str(connection.public_id),
        "name": connection.name,
        "provider": connection.provider,
        "status": connection.status,
        "status_detail": connection.status_detail,
        "is_active": connection.is_active,
    }


def hook_message_body(message: Message, external_key: str, at: str) -> dict[str, Any]:
    return {
        "timestamp": at,
        "message": message_data(message),
        "messageId": str(message.public_id),
        "ticketId": str(message.ticket.public_id),
        "externalKey": external_key,
        "type": "hookMessage",
    }


def hook_message_status_body(message: Message, external_key: str) -> dict[str, Any]:
    return {
        "ack": ACK_OF_STATUS.get(message.status, 0),
        "messageId": str(message.public_id),
        "externalKey": external_key,
        "type": "hookMessageStatus",
    }


def hook_session_status_body(connection: ChannelConnection, at: str) -> dict[str, Any]:
    return {
        "name": connection.name,
        "number": "",
        "status": connection.status,
        "qrcode": "",
        "timestamp": at,
        "type": "hookSessionStatus",
    }


def catalogue_markdown() -> str:
    """The event catalogue as the documentation shows it (in English)."""
    lines = ["| type | format | `data` | when |", "| --- | --- | --- | --- |"]
    with translation.override("en"):
        for event in EVENT_TYPES.values():
            lines.append(
                f"| `{event.name}` | {event.format} | {event.data} | {event.description} |"
            )
    return "\n".join(lines)
