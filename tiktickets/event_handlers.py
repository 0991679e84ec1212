"""Who reacts to which domain event: the one table of subscriptions (STYLE §B.9).

``core.event_bus.publish`` calls these after commit. Handlers only push to the channel layer or
enqueue tasks; they read what they need from the committed state.
"""

from __future__ import annotations

from core.event_bus import SubscriberTable
from tickets.domain_events import MessageDispatched


# --------------------------------------------------------------------------- channels (outbound)
def outbound_delivery_on_dispatch(event: MessageDispatched) -> None:
    """Store the message's delivery and enqueue it on the ``replies`` queue after commit."""
    from channels_integrations.services.outbound import outbound_delivery_create

    outbound_delivery_create(message_id=event.message_id)


SUBSCRIBERS: SubscriberTable = {
    # channels: the outbound pipeline sends every dispatched message through its provider.
    MessageDispatched: [outbound_delivery_on_dispatch],
}
