"""Reads of the tickets domain, one module per subdomain (as in ``tickets.services``): tickets
(and the visibility rule every surface uses), messages, quick replies, queues, agents and
each connection's routing.

The public names are re-exported here; callers may import from either.
"""

from tickets.selectors.agents import (
    user_get,
    users_for_admin,
)
from tickets.selectors.messages import (
    MESSAGE_EVENT_FIELDS,
    message_edits_of,
    message_event_values,
    message_event_values_many,
    message_get_for_agent,
    message_get_for_event,
    message_on_ticket,
    message_page,
    message_page_values,
    messages_of_ticket,
    messages_scheduled_of,
)
from tickets.selectors.queues import (
    queue_get_for,
    queues_for,
)
from tickets.selectors.quick_replies import (
    quick_replies_for,
    quick_reply_get_for,
)
from tickets.selectors.routing import connection_routing_get
from tickets.selectors.tickets import (
    CURRENT,
    NOBODY_BUT_ADMINS,
    PREVIOUS_TICKETS_SHOWN,
    TicketAudience,
    TicketEventRow,
    audience_agent_ids,
    ticket_active_for,
    ticket_audience,
    ticket_by_public_id,
    ticket_detail_and_tags_for_agent,
    ticket_detail_for_agent,
    ticket_event_row,
    ticket_event_row_audience,
    ticket_event_rows,
    ticket_event_values,
    ticket_events_of,
    ticket_get_for_agent,
    ticket_get_for_event,
    ticket_inbox_page,
    ticket_inbox_rows,
    ticket_list_for_contact,
    ticket_list_for_inbox,
    tickets_visible_to,
)

__all__ = [
    "CURRENT",
    "MESSAGE_EVENT_FIELDS",
    "NOBODY_BUT_ADMINS",
    "PREVIOUS_TICKETS_SHOWN",
    "TicketAudience",
    "TicketEventRow",
    "audience_agent_ids",
    "connection_routing_get",
    "message_edits_of",
    "message_event_values",
    "message_event_values_many",
    "message_get_for_agent",
    "message_get_for_event",
    "message_on_ticket",
    "message_page",
    "message_page_values",
    "messages_of_ticket",
    "messages_scheduled_of",
    "queue_get_for",
    "queues_for",
    "quick_replies_for",
    "quick_reply_get_for",
    "ticket_active_for",
    "ticket_audience",
    "ticket_detail_and_tags_for_agent",
    "ticket_detail_for_agent",
    "ticket_event_row",
    "ticket_event_rows",
    "ticket_event_row_audience",
    "ticket_event_values",
    "ticket_by_public_id",
    "ticket_events_of",
    "ticket_get_for_agent",
    "ticket_get_for_event",
    "ticket_inbox_page",
    "ticket_inbox_rows",
    "ticket_list_for_contact",
    "ticket_list_for_inbox",
    "tickets_visible_to",
    "user_get",
    "users_for_admin",
]
