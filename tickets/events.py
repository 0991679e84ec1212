"""The only writers of TicketEvent: one function per kind, called by services.

Each entry is append-only; ``data`` keeps ids together with names so the timeline still reads
correctly after a queue or agent is renamed.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from tickets.models import Message, Queue, Ticket, TicketEvent

Kind = TicketEvent.Kind


def _user_ref(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": str(user)}


def _queue_ref(queue: Queue | None) -> dict[str, Any] | None:
    return None if queue is None else {"id": queue.pk, "name": queue.name}


def _record(ticket: Ticket, kind: str, actor: User | None, **data: Any) -> TicketEvent:
    if actor is not None and actor.acting_via_api_key:
        data["via_api_key"] = actor.acting_via_api_key  # "via API key <name>" on the timeline
    return TicketEvent.objects.create(ticket=ticket, kind=kind, actor=actor, data=data)


def event_ticket_created(*, ticket: Ticket, by: User | None) -> TicketEvent:
    return _record(
        ticket,
        Kind.CREATED,
        by,
        protocol=ticket.protocol,
        queue=_queue_ref(ticket.queue),
        outbound=ticket.is_outbound,
    )


def event_ticket_accepted(*, ticket: Ticket, by: User) -> TicketEvent:
    return _record(ticket, Kind.ACCEPTED, by, queue=_queue_ref(ticket.queue))


def event_ticket_transferred(
    *,
    ticket: Ticket,
    by: User | None,
    from_queue: Queue | None,
    to_queue: Queue | None,
    from_agent: User | None,
    to_agent: User | None,
    note: str = "",
) -> TicketEvent:
    return _record(
        ticket,
        Kind.TRANSFERRED,
        by,
        from_queue=_queue_ref(from_queue),
        to_queue=_queue_ref(to_queue),
        from_agent=_user_ref(from_agent),
        to_agent=_user_ref(to_agent),
        note=note,
    )


def event_ticket_returned(
    *, ticket: Ticket, by: User | None, from_agent: User | None
) -> TicketEvent:
    return _record(ticket, Kind.RETURNED, by, from_agent=_user_ref(from_agent))


def event_ticket_auto_assigned(
    *, ticket: Ticket, agent: User, queue: Queue | None, mode: str
) -> TicketEvent:
    """Distribution gave the ticket to ``agent`` (no actor: nobody picked it)."""
    return _record(
        ticket,
        Kind.AUTO_ASSIGNED,
        None,
        to_agent=_user_ref(agent),
        to_agent_name=str(agent),
        queue=_queue_ref(queue),
        mode=mode,
    )


def event_ticket_closed(*, ticket: Ticket, by: User | None, automatic: bool = False) -> TicketEvent:
    kind = Kind.AUTO_CLOSED if automatic else Kind.CLOSED
    return _record(ticket, kind, by, protocol=ticket.protocol)


def event_ticket_reopened(*, ticket: Ticket, by: User | None, reason: str) -> TicketEvent:
    return _record(ticket, Kind.REOPENED, by, reason=reason)


def event_message(*, message: Message) -> TicketEvent:
    """A message in, a message out, or a note, on the ticket's timeline."""
    if message.is_note:
        kind = Kind.NOTE
    elif message.direction == Message.Direction.INBOUND:
        kind = Kind.MESSAGE_IN
    else:
        kind = Kind.MESSAGE_OUT
    return _record(
        message.ticket,
        kind,
        message.sender_user,
        message_id=str(message.public_id),
        message_kind=message.kind,
        sender=message.sender,
    )


def event_message_edited(*, message: Message, by: User | None) -> TicketEvent:
    return _record(message.ticket, Kind.MESSAGE_EDITED, by, message_id=str(message.public_id))


def event_message_deleted(*, message: Message, by: User | None) -> TicketEvent:
    return _record(message.ticket, Kind.MESSAGE_DELETED, by, message_id=str(message.public_id))


def event_tag_changed(
    *, ticket: Ticket, by: User | None, tag_id: int, tag_name: str, added: bool
) -> TicketEvent:
    kind = Kind.TAG_ADDED if added else Kind.TAG_REMOVED
    return _record(ticket, kind, by, tag={"id": tag_id, "name": tag_name})


def event_contact_merged(
    *, ticket: Ticket, by: User | None, merged_contact: dict[str, Any]
) -> TicketEvent:
    return _record(ticket, Kind.CONTACT_MERGED, by, merged_contact=merged_contact)


def event_bot_step(*, ticket: Ticket, step: str, **data: Any) -> TicketEvent:
    """A step of the chatbot on this ticket (``step``: entered_node, answer_matched,
    not_understood, retry_limit, close_keyword, inactivity, handed_over...)."""
    return _record(ticket, Kind.BOT, None, step=step, **data)


def event_ticket_deleted(*, ticket: Ticket, by: User) -> TicketEvent:
    return _record(ticket, Kind.DELETED, by)


def event_ticket_restored(*, ticket: Ticket, by: User) -> TicketEvent:
    return _record(ticket, Kind.RESTORED, by)
