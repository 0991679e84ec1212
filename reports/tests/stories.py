"""Hand-built attendances for the reports tests: a ticket whose timeline entries and messages
are written by the real writers (``tickets.events``, the factories) and then dated exactly,
so each test can work out its expected figures by hand."""

from __future__ import annotations

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from accounts.models import User
from connections.models import ChannelConnection
from contacts.tests.factories import ContactFactory
from tickets import events
from tickets.models import Message, Queue, Ticket, TicketEvent
from tickets.tests.factories import MessageFactory, TicketFactory

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NEW_YORK = ZoneInfo("America/New_York")


def local(text: str, zone: ZoneInfo = SAO_PAULO) -> datetime:
    """``"2026-03-10 23:50"`` as an aware datetime in ``zone``."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=zone)


def _dated(entry: TicketEvent, when: datetime) -> None:
    TicketEvent.objects.filter(pk=entry.pk).update(created_at=when)


class Story:
    """One attendance, told step by step at given instants; ``done()`` stores its final state."""

    def __init__(
        self,
        *,
        connection: ChannelConnection,
        queue: Queue | None,
        opened: datetime,
        outbound_by: User | None = None,
        contact_created: datetime | None = None,
    ) -> None:
        contact = ContactFactory()
        if contact_created is not None:
            type(contact).objects.filter(pk=contact.pk).update(created_at=contact_created)
        self.ticket = cast(
            Ticket,
            TicketFactory(
                contact=contact,
                connection=connection,
                queue=queue,
                is_outbound=outbound_by is not None,
                status=Ticket.Status.OPEN if outbound_by else Ticket.Status.PENDING,
                assignee=outbound_by,
            ),
        )
        Ticket.objects.filter(pk=self.ticket.pk).update(created_at=opened)
        _dated(events.event_ticket_created(ticket=self.ticket, by=outbound_by), opened)

    def _message(self, when: datetime, **fields: object) -> Message:
        message = cast(Message, MessageFactory(ticket=self.ticket, **fields))
        Message.objects.filter(pk=message.pk).update(created_at=when)
        _dated(events.event_message(message=message), when)
        return message

    def inbound(self, when: datetime) -> Story:
        self._message(when)
        return self

    def bot(self, when: datetime) -> Story:
        self._message(
            when,
            direction=Message.Direction.OUTBOUND,
            sender=Message.Sender.BOT,
            sender_contact=None,
        )
        return self

    def reply(self, agent: User, when: datetime, *, note: bool = False) -> Story:
        self._message(
            when,
            direction=Message.Direction.OUTBOUND,
            sender=Message.Sender.AGENT,
            sender_contact=None,
            sender_user=agent,
            is_note=note,
        )
        return self

    def accept(self, agent: User, when: datetime) -> Story:
        self.ticket.status, self.ticket.assignee = Ticket.Status.OPEN, agent
        _dated(events.event_ticket_accepted(ticket=self.ticket, by=agent), when)
        return self

    def transfer(self, by: User, when: datetime, *, to_agent: User | None = None) -> Story:
        entry = events.event_ticket_transferred(
            ticket=self.ticket,
            by=by,
            from_queue=self.ticket.queue,
            to_queue=self.ticket.queue,
            from_agent=self.ticket.assignee,
            to_agent=to_agent,
        )
        _dated(entry, when)
        self.ticket.assignee = to_agent
        self.ticket.status = Ticket.Status.OPEN if to_agent else Ticket.Status.PENDING
        return self

    def close(self, by: User | None, when: datetime) -> Story:
        self.ticket.status, self.ticket.closed_at = Ticket.Status.CLOSED, when
        _dated(events.event_ticket_closed(ticket=self.ticket, by=by), when)
        return self

    def reopen(self, when: datetime, *, by: User | None = None) -> Story:
        self.ticket.closed_at = None
        self.ticket.status = Ticket.Status.OPEN if by else Ticket.Status.PENDING
        if by is not None:
            self.ticket.assignee = by
        reason = "agent" if by else "customer_message"
        _dated(events.event_ticket_reopened(ticket=self.ticket, by=by, reason=reason), when)
        return self

    def done(self, *, deleted: datetime | None = None) -> Ticket:
        Ticket.objects.filter(pk=self.ticket.pk).update(
            status=self.ticket.status,
            assignee=self.ticket.assignee,
            closed_at=self.ticket.closed_at,
            deleted_at=deleted,
        )
        return self.ticket
