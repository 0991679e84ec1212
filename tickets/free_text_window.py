"""Whether a ticket's channel still takes free-form text from an agent, or only an approved
message template (WhatsApp Cloud outside the 24-hour customer service window).

A provider that sends templates declares its window (``free_text_window``) and
``sends_templates``; the window runs from the contact's last message on the connection, in this
ticket or an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max
from django.utils import timezone

from connections.models import ChannelConnection
from connections.providers.registry import provider_for, provider_installed
from tickets.errors import FreeTextWindowClosed
from tickets.models import Message, Ticket


@dataclass(frozen=True)
class FreeTextWindow:
    """``templates_only``: free text would be refused now; ``refusal`` says why;
    ``customer_wrote_at`` is the contact's last message on the connection (None: never)."""

    templates_only: bool = False
    refusal: str = ""
    customer_wrote_at: datetime | None = None


def ticket_free_text_window(
    ticket: Ticket, *, connection: ChannelConnection | None = None
) -> FreeTextWindow:
    """The window of ``ticket`` now. One query for the connection unless given (or cached on
    the ticket), one more only when the ticket's own last inbound message is too old."""
    if connection is None:
        connection = (
            ticket.connection
            if Ticket.connection.is_cached(ticket)
            else ChannelConnection.objects.only("provider").get(pk=ticket.connection_id)
        )
    if not provider_installed(connection.provider):
        return FreeTextWindow()
    provider = provider_for(connection.provider)
    window = provider.free_text_window
    if not provider.sends_templates or window is None:
        return FreeTextWindow()
    now = timezone.now()
    wrote_at = ticket.last_inbound_at
    if wrote_at is None or now - wrote_at >= window:
        wrote_at = Message.objects.filter(
            ticket__contact_id=ticket.contact_id,
            connection_id=connection.pk,
            direction=Message.Direction.INBOUND,
        ).aggregate(last=Max("created_at"))["last"]
    if wrote_at is not None and now - wrote_at < window:
        return FreeTextWindow(customer_wrote_at=wrote_at)
    return FreeTextWindow(
        templates_only=True, refusal=str(provider.window_refusal), customer_wrote_at=wrote_at
    )


def free_text_window_check(ticket: Ticket, *, connection: ChannelConnection | None = None) -> None:
    """422 ``free_text_window_closed`` (with when the customer last wrote) when the ticket's
    channel takes only an approved template now: what an agent's reply checks before it is
    stored (the panel's composer, the tickets API)."""
    window = ticket_free_text_window(ticket, connection=connection)
    if window.templates_only:
        wrote_at = window.customer_wrote_at
        raise FreeTextWindowClosed(
            message=window.refusal,
            extra={"customer_wrote_at": wrote_at.isoformat() if wrote_at else None},
        )
