"""Who reacts to which domain event: the one table of subscriptions.

``core.event_bus.publish`` calls these after commit. Handlers only push to the channel layer or
enqueue tasks; they read what they need from the committed state. A handler listed as
``Together(one, many)`` publishes one task with a list for the events of an inbound batch
(``core.event_bus.publishing_together``) instead of one task per event. The live updates
(``realtime``) are listed as ``Early(handler)``: for a batch's events they run first, all of
them, and their envelopes go out together, before the other handlers of the batch run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from accounts.domain_events import UserPresenceChanged
from automation.domain_events import BusinessHoursChanged
from campaigns.domain_events import CampaignProgressed
from channels_integrations.domain_events import (
    ConnectionQrCodeChanged,
    ConnectionSessionChanged,
    ConnectionStatusChanged,
    OutboundStatusUnmatched,
    WebchatVisitorTyping,
)
from contacts.domain_events import ContactCreated, ContactUpdated, TagChanged
from core.event_bus import Early, SubscriberTable, Together, together_memo
from integrations import handlers as webhooks
from privacy.domain_events import PrivacyRequestCreated, PrivacyRequestFulfilled
from realtime import handlers as realtime
from tenants.domain_events import TenantSettingsChanged
from tickets.domain_events import (
    AgentAccessChanged,
    MessageChangeRequested,
    MessageCreated,
    MessageDeleted,
    MessageDispatched,
    MessageReceived,
    MessagesRead,
    MessageStatusChanged,
    MessageUpdated,
    TicketClosed,
    TicketCreated,
    TicketTransferred,
    TicketUpdated,
)

if TYPE_CHECKING:
    from automation.selectors.in_use import AutomationInUse


def _unique(ids: Iterable[int]) -> list[int]:
    """The ids in their first order, each once."""
    return list(dict.fromkeys(ids))


# --------------------------------------------------------------------------- channels (outbound)
def outbound_delivery_on_dispatch(event: MessageDispatched) -> None:
    """Store the message's delivery and enqueue it on the ``replies`` queue after commit."""
    from channels_integrations.services.outbound import outbound_delivery_create

    outbound_delivery_create(message_id=event.message_id)


def read_receipt_on_messages_read(event: MessagesRead) -> None:
    """The assigned agent read the customer's messages: tell the customer, where the provider
    has read receipts (the task asks the provider; a retried task, on the ``replies`` queue)."""
    from channels_integrations.tasks import read_receipt_send_task

    read_receipt_send_task.apply_async(args=(event.message_id,), queue="replies")


def outbound_change_on_request(event: MessageChangeRequested) -> None:
    """Store an agent's edit or deletion of a sent message and enqueue it on ``replies``."""
    from channels_integrations.services.outbound_changes import outbound_change_create

    outbound_change_create(message_id=event.message_id, change=event.change, body=event.body)


def webchat_visitor_on_message_created(event: MessageCreated) -> None:
    """A web chat visitor's message is stored: tick it on the visitor's widget (a note never
    is one)."""
    if event.is_note:
        return
    from channels_integrations.services.webchat import webchat_visitor_notify

    webchat_visitor_notify(message_id=event.message_id)


def calls_on_tenant_settings_changed(event: TenantSettingsChanged) -> None:
    """The WhatsApp QR gateways follow the tenant's call settings."""
    from channels_integrations.services.sessions import CALL_SETTINGS
    from channels_integrations.tasks import connections_calls_apply_task

    if set(event.keys) & set(CALL_SETTINGS):
        connections_calls_apply_task.delay()


# --------------------------------------------------------------------------- automation
def out_of_hours_on_message_received(event: MessageReceived) -> None:
    """A customer wrote: the out-of-hours notice, when the ticket's schedule is closed."""
    from automation.tasks import out_of_hours_notice_send_task

    out_of_hours_notice_send_task.delay(event.message_id)


def _automation_in_use() -> AutomationInUse | None:
    """For an inbound batch's events: whether the tenant has an enabled schedule, a
    distributing queue (one statement per batch, read after its commit)."""
    from automation.selectors.in_use import automation_in_use

    return together_memo("automation.in_use", lambda _events: automation_in_use())


def out_of_hours_on_messages_received(events: list[MessageReceived]) -> None:
    """No task while no schedule is enabled: the notice could not be due."""
    from automation.tasks import out_of_hours_notices_send_task

    in_use = _automation_in_use()
    if in_use is not None and not in_use.out_of_hours:
        return
    out_of_hours_notices_send_task.delay([event.message_id for event in events])


def distribution_on_ticket_entered_queue(event: TicketCreated | TicketTransferred) -> None:
    """A ticket entered a queue (new from a connection, or transferred): distribute it when
    the queue does (the task checks that it is waiting, unassigned, in such a queue)."""
    from automation.tasks import ticket_distribute_task

    ticket_distribute_task.delay(event.ticket_id)


def distribution_on_tickets_entered_queue(events: list[TicketCreated | TicketTransferred]) -> None:
    """No task while no active queue distributes: no ticket could be handed out."""
    from automation.tasks import tickets_distribute_task

    in_use = _automation_in_use()
    if in_use is not None and not in_use.distribution:
        return
    tickets_distribute_task.delay(_unique(event.ticket_id for event in events))


def distribution_on_agent_online(event: UserPresenceChanged) -> None:
    """An agent came online (or back from away): the tickets waiting in their queues."""
    if event.status != "online":
        return
    from automation.tasks import agent_backlog_distribute_task

    agent_backlog_distribute_task.delay(event.user_id)


def flow_on_message_created(event: MessageCreated) -> None:
    """A customer's message is committed: the chatbot attaches to a new ticket or reads the
    answer. Runs right here, in the worker that stored the message (the inbound worker for
    every channel), so the bot adds no second path and no queue hop; its own messages go out
    through the outbound pipeline. A note is never a customer's message."""
    if event.is_note:
        return
    from automation.services.flow_runs import flow_message_received

    flow_message_received(message_id=event.message_id)


# --------------------------------------------------------------------------- campaigns
def campaign_reply_on_message_received(event: MessageReceived) -> None:
    """A customer wrote: an opt-out keyword, or a reply counted on the campaign it answers."""
    from campaigns.tasks import campaign_reply_record_task

    campaign_reply_record_task.delay(event.message_id)


def campaign_reply_on_messages_received(events: list[MessageReceived]) -> None:
    from campaigns.tasks import campaign_replies_record_task

    campaign_replies_record_task.delay([event.message_id for event in events])


def campaign_status_on_unmatched_status(event: OutboundStatusUnmatched) -> None:
    """A delivery report no ticket message claims: maybe a campaign message's."""
    from campaigns.tasks import campaign_status_record_task

    campaign_status_record_task.delay(event.connection_id, event.provider_message_id, event.status)


# --------------------------------------------------------------------------- reports
def attendance_on_ticket_changed(
    event: TicketCreated | TicketUpdated | TicketTransferred | TicketClosed,
) -> None:
    """Recompute the ticket's row of the reports' attendance rollup."""
    from reports.tasks import attendances_refresh_task

    attendances_refresh_task.apply_async(args=(event.ticket_id,))


def attendance_on_message_created(event: MessageCreated) -> None:
    """A message may be the first inbound, the first response or a bot hand-over; a note is
    none of them (``reports.selectors.rollup``), so it enqueues nothing."""
    if event.is_note:
        return
    from reports.tasks import attendance_refresh_for_message_task

    attendance_refresh_for_message_task.apply_async(args=(event.message_id,))


def attendance_on_change(
    event: TicketCreated | TicketUpdated | TicketTransferred | TicketClosed | MessageCreated,
) -> None:
    if isinstance(event, MessageCreated):
        attendance_on_message_created(event)
    else:
        attendance_on_ticket_changed(event)


def attendance_on_changes(
    events: list[TicketCreated | TicketUpdated | TicketTransferred | TicketClosed | MessageCreated],
) -> None:
    """An inbound batch's ticket changes and new messages: one refresh task for all of them
    (one upsert; a note is no message of the rollup)."""
    from reports.tasks import attendances_refresh_for_batch_task

    ticket_ids = _unique(e.ticket_id for e in events if not isinstance(e, MessageCreated))
    message_ids = [e.message_id for e in events if isinstance(e, MessageCreated) and not e.is_note]
    if ticket_ids or message_ids:
        attendances_refresh_for_batch_task.apply_async(args=(ticket_ids, message_ids))


def attendance_on_business_hours_changed(event: BusinessHoursChanged) -> None:
    """A schedule changed: the business-hours figures of the attendances it applies to."""
    from reports.tasks import attendances_business_refresh_task

    attendances_business_refresh_task.apply_async(args=(event.queue_id,))


# The events of an inbound batch publish one task each, with the list (Together); their live
# updates go out first, for the whole batch, before any other subscriber runs (Early).
distribution = Together(distribution_on_ticket_entered_queue, distribution_on_tickets_entered_queue)
attendance = Together(attendance_on_change, attendance_on_changes)
out_of_hours = Together(out_of_hours_on_message_received, out_of_hours_on_messages_received)
campaign_replies = Together(campaign_reply_on_message_received, campaign_reply_on_messages_received)


SUBSCRIBERS: SubscriberTable = {
    # channels: the outbound pipeline sends every dispatched message through its provider.
    MessageDispatched: [outbound_delivery_on_dispatch],
    # channels: read receipts to the customer where the provider has them.
    MessagesRead: [read_receipt_on_messages_read],
    # channels: an agent's edit or deletion of a sent message goes to the customer's copy.
    MessageChangeRequested: [outbound_change_on_request],
    # ---------------------------------------------------------------- live updates (/ws/,
    # and the web chat visitor's /ws/widget/<id>/)
    # Reports: each change of a ticket refreshes its attendance row (reports.tasks); outbound
    # webhooks: integrations/handlers.py stores deliveries for subscribers.
    TicketCreated: [
        Early(realtime.on_ticket_created),
        distribution,
        attendance,
        webhooks.webhooks_on_ticket_created,
    ],
    TicketUpdated: [
        Early(realtime.on_ticket_updated),
        attendance,
        webhooks.webhooks_on_ticket_updated,
    ],
    TicketTransferred: [
        Early(realtime.on_ticket_transferred),
        distribution,
        attendance,
        webhooks.webhooks_on_ticket_transferred,
    ],
    TicketClosed: [
        Early(realtime.on_ticket_closed),
        attendance,
        webhooks.webhooks_on_ticket_closed,
    ],
    MessageCreated: [
        Early(realtime.on_message_created),
        webchat_visitor_on_message_created,
        flow_on_message_created,
        attendance,
        webhooks.webhooks_on_message_created,
    ],
    MessageUpdated: [Early(realtime.on_message_updated), webhooks.webhooks_on_message_updated],
    MessageStatusChanged: [
        Early(realtime.on_message_status_changed),
        webhooks.webhooks_on_message_status_changed,
    ],
    MessageDeleted: [Early(realtime.on_message_deleted)],
    ContactCreated: [webhooks.webhooks_on_contact_created],
    ContactUpdated: [Early(realtime.on_contact_updated), webhooks.webhooks_on_contact_updated],
    TagChanged: [Early(realtime.on_tag_changed)],
    ConnectionStatusChanged: [
        Early(realtime.on_connection_status_changed),
        webhooks.webhooks_on_connection_status_changed,
    ],
    # WhatsApp QR sessions: the QR code and the session's states, to the tenant's admins.
    ConnectionQrCodeChanged: [Early(realtime.on_connection_qr_code_changed)],
    ConnectionSessionChanged: [Early(realtime.on_connection_session_changed)],
    WebchatVisitorTyping: [Early(realtime.on_webchat_visitor_typing)],
    UserPresenceChanged: [Early(realtime.on_user_presence_changed), distribution_on_agent_online],
    # automation: out-of-hours notices (business hours).
    MessageReceived: [out_of_hours, campaign_replies],
    # campaigns: delivery reports of campaign messages, and live progress to the admins.
    OutboundStatusUnmatched: [campaign_status_on_unmatched_status],
    CampaignProgressed: [Early(realtime.on_campaign_progressed)],
    AgentAccessChanged: [Early(realtime.on_agent_access_changed)],
    # Reports: business-hours figures follow the schedules.
    BusinessHoursChanged: [attendance_on_business_hours_changed],
    # WhatsApp QR: calls rejected (or not) by the gateways.
    TenantSettingsChanged: [calls_on_tenant_settings_changed],
    # Data subjects' requests (export, erasure; ids only): the audit log records them in the
    # privacy services themselves; nothing else listens yet.
    PrivacyRequestCreated: [],
    PrivacyRequestFulfilled: [],
}
