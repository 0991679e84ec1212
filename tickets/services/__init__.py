"""Writes of the tickets domain, one module per subdomain: tickets (lifecycle and the agent's
transitions), messages (inbound, outbound, notes, edits, delivery), greetings (the system
messages a ticket gets on opening and closing), dispatch (hand-over to the outbound pipeline),
queues, agents, quick replies and contact merges.

Within the package the dependencies run one way: ``dispatch`` <- ``greetings`` <- ``tickets``
<- ``messages``. The public names are re-exported here; callers may import from either.
"""

from tickets.services.agents import (
    agent_create,
    agent_deactivate,
    agent_reactivate,
    agent_update,
)
from tickets.services.contact_merge import contact_merge
from tickets.services.dispatch import message_dispatch
from tickets.services.greetings import (
    ticket_farewell_queue,
    ticket_greeting_queue,
)
from tickets.services.messages import (
    ReceivedMessage,
    message_delete,
    message_delete_by_contact,
    message_delivery_failed,
    message_edit,
    message_edit_by_contact,
    message_forward,
    message_receive,
    message_record_sent_elsewhere,
    message_schedule_cancel,
    message_send,
    message_sent_record,
    message_status_update,
    message_status_watermark,
    messages_scheduled_dispatch_due,
    note_add,
)
from tickets.services.queues import (
    queue_create,
    queue_delete,
    queue_members_set,
    queue_update,
)
from tickets.services.quick_replies import (
    greeting_for,
    quick_reply_create,
    quick_reply_delete,
    quick_reply_render,
    quick_reply_update,
    text_render,
)
from tickets.services.tickets import (
    ticket_accept,
    ticket_can_accept,
    ticket_can_close,
    ticket_can_reopen,
    ticket_can_return,
    ticket_can_transfer,
    ticket_close,
    ticket_create_outbound,
    ticket_mark_read,
    ticket_open_or_reuse,
    ticket_permissions,
    ticket_reopen,
    ticket_restore,
    ticket_return_to_queue,
    ticket_soft_delete,
    ticket_tags_set,
    ticket_transfer,
    tickets_auto_close_due,
)

__all__ = [
    "ReceivedMessage",
    "agent_create",
    "agent_deactivate",
    "agent_reactivate",
    "agent_update",
    "contact_merge",
    "greeting_for",
    "message_delete",
    "message_delete_by_contact",
    "message_delivery_failed",
    "message_dispatch",
    "message_edit",
    "message_edit_by_contact",
    "message_forward",
    "message_receive",
    "message_record_sent_elsewhere",
    "message_schedule_cancel",
    "message_send",
    "message_sent_record",
    "message_status_update",
    "message_status_watermark",
    "messages_scheduled_dispatch_due",
    "note_add",
    "queue_create",
    "queue_delete",
    "queue_members_set",
    "queue_update",
    "quick_reply_create",
    "quick_reply_delete",
    "quick_reply_render",
    "quick_reply_update",
    "text_render",
    "ticket_accept",
    "ticket_can_accept",
    "ticket_can_close",
    "ticket_can_reopen",
    "ticket_can_return",
    "ticket_can_transfer",
    "ticket_close",
    "ticket_create_outbound",
    "ticket_farewell_queue",
    "ticket_greeting_queue",
    "ticket_mark_read",
    "ticket_open_or_reuse",
    "ticket_permissions",
    "ticket_reopen",
    "ticket_restore",
    "ticket_return_to_queue",
    "ticket_soft_delete",
    "ticket_tags_set",
    "ticket_transfer",
    "tickets_auto_close_due",
]
