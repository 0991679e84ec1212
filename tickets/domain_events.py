"""Domain events of tickets and messages (published through ``core.event_bus``).

Ticket events carry the queue and assignee the ticket had before the change, so subscribers can
tell who stopped seeing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.event_bus import DomainEvent


@dataclass(frozen=True)
class TicketCreated(DomainEvent):
    ticket_id: int


@dataclass(frozen=True)
class TicketUpdated(DomainEvent):
    """Status, assignee, unread counter, tags or deletion changed."""

    ticket_id: int
    previous_queue_id: int | None
    previous_assignee_id: int | None


@dataclass(frozen=True)
class TicketTransferred(DomainEvent):
    ticket_id: int
    previous_queue_id: int | None
    previous_assignee_id: int | None


@dataclass(frozen=True)
class TicketClosed(DomainEvent):
    ticket_id: int
    previous_queue_id: int | None
    previous_assignee_id: int | None


@dataclass(frozen=True)
class MessageCreated(DomainEvent):
    """A message in or out, or an internal note (``is_note``: what reacts to customers'
    messages or to answers sent to them has nothing to do for a note, and reads nothing)."""

    message_id: int
    is_note: bool = False


@dataclass(frozen=True)
class MessageReceived(DomainEvent):
    """A customer's message was stored (published with its ``MessageCreated``): what reacts to
    customers (business hours) subscribes here instead of to every message."""

    message_id: int


@dataclass(frozen=True)
class MessageUpdated(DomainEvent):
    """The body was edited."""

    message_id: int


@dataclass(frozen=True)
class MessageChangeRequested(DomainEvent):
    """An agent edited (``change="edit"``, the new text in ``body``) or deleted
    (``change="delete"``) a message the channel already accepted, on a channel whose provider
    can change the customer's copy: the outbound pipeline takes it there."""

    message_id: int
    change: str
    body: str = ""


@dataclass(frozen=True)
class MessageStatusChanged(DomainEvent):
    message_id: int


@dataclass(frozen=True)
class MessageDeleted(DomainEvent):
    message_id: int


@dataclass(frozen=True)
class MessageDispatched(DomainEvent):
    """An outbound message was handed to the outbound pipeline (exactly once per message)."""

    message_id: int


@dataclass(frozen=True)
class AgentAccessChanged(DomainEvent):
    """What these users may see changed (queue membership, role): their sockets must change
    subscriptions and their inboxes reload."""

    user_ids: tuple[int, ...]


@dataclass(frozen=True)
class MessagesRead(DomainEvent):
    """The agent a ticket is assigned to opened it and read the customer's messages up to
    ``message_id`` (the newest of them): the customer may be told so (read receipts)."""

    ticket_id: int
    message_id: int
