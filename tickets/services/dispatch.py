"""Handing outbound messages to the outbound pipeline, exactly once.

The bottom of the message-writing services: ``messages`` (agents' messages, scheduled ones)
and ``greetings`` (system messages) hand their messages over through here, and it imports
neither, so their dependencies run one way.
"""

from __future__ import annotations

from django.utils import timezone

from core.event_bus import publish
from tickets.domain_events import MessageDispatched
from tickets.models import Message


def message_dispatch(message: Message) -> bool:
    """Hand an outbound message to the outbound pipeline, exactly once; True if this call did.

    The outbound pipeline subscribes to ``MessageDispatched`` (tiktickets/event_handlers.py),
    published here and delivered after commit. ``dispatched_at`` is set
    by a conditional UPDATE (``WHERE dispatched_at IS NULL``), so two callers racing for the same
    message cannot both dispatch it. Internal notes, inbound and deleted messages are never
    dispatched (False).
    """
    if message.is_note or message.direction != Message.Direction.OUTBOUND:
        return False
    now = timezone.now()
    updated = Message.objects.filter(
        pk=message.pk,
        dispatched_at__isnull=True,
        deleted_at__isnull=True,
        is_note=False,
        direction=Message.Direction.OUTBOUND,
    ).update(dispatched_at=now, updated_at=now)
    if updated:
        message.dispatched_at = now
        publish(MessageDispatched(message_id=message.pk))
    return bool(updated)
