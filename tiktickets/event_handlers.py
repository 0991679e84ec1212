"""Who reacts to which domain event: the one table of subscriptions.

``core.event_bus.publish`` calls these after commit. Handlers only push to the channel layer or
enqueue tasks; they read what they need from the committed state.
"""

from __future__ import annotations

from accounts.domain_events import UserPresenceChanged
from channels_integrations.domain_events import ConnectionStatusChanged
from contacts.domain_events import ContactCreated, ContactUpdated, TagChanged
from core.event_bus import SubscriberTable
from integrations import handlers as webhooks
from realtime import handlers as realtime
from tickets.domain_events import (
    AgentAccessChanged,
    MessageCreated,
    MessageDeleted,
    MessageDispatched,
    MessageStatusChanged,
    MessageUpdated,
    TicketClosed,
    TicketCreated,
    TicketTransferred,
    TicketUpdated,
)


# --------------------------------------------------------------------------- channels (outbound)
def outbound_delivery_on_dispatch(event: MessageDispatched) -> None:
    """Store the message's delivery and enqueue it on the ``replies`` queue after commit."""
    from channels_integrations.services.outbound import outbound_delivery_create

    outbound_delivery_create(message_id=event.message_id)


def webchat_visitor_on_message_created(event: MessageCreated) -> None:
    """A web chat visitor's message is stored: tick it on the visitor's widget."""
    from channels_integrations.services.webchat import webchat_visitor_notify

    webchat_visitor_notify(message_id=event.message_id)


SUBSCRIBERS: SubscriberTable = {
    # channels: the outbound pipeline sends every dispatched message through its provider.
    MessageDispatched: [outbound_delivery_on_dispatch],
    # ---------------------------------------------------------------- live updates (/ws/,
    # and the web chat visitor's /ws/widget/<id>/)
    # (and outbound webhooks: integrations/handlers.py stores deliveries for subscribers)
    TicketCreated: [realtime.on_ticket_created, webhooks.webhooks_on_ticket_created],
    TicketUpdated: [realtime.on_ticket_updated, webhooks.webhooks_on_ticket_updated],
    TicketTransferred: [realtime.on_ticket_transferred, webhooks.webhooks_on_ticket_transferred],
    TicketClosed: [realtime.on_ticket_closed, webhooks.webhooks_on_ticket_closed],
    MessageCreated: [
        realtime.on_message_created,
        webchat_visitor_on_message_created,
        webhooks.webhooks_on_message_created,
    ],
    MessageUpdated: [realtime.on_message_updated, webhooks.webhooks_on_message_updated],
    MessageStatusChanged: [
        realtime.on_message_status_changed,
        webhooks.webhooks_on_message_status_changed,
    ],
    MessageDeleted: [realtime.on_message_deleted],
    ContactCreated: [webhooks.webhooks_on_contact_created],
    ContactUpdated: [realtime.on_contact_updated, webhooks.webhooks_on_contact_updated],
    TagChanged: [realtime.on_tag_changed],
    ConnectionStatusChanged: [
        realtime.on_connection_status_changed,
        webhooks.webhooks_on_connection_status_changed,
    ],
    UserPresenceChanged: [realtime.on_user_presence_changed],
    AgentAccessChanged: [realtime.on_agent_access_changed],
}
