"""Domain event → websocket event. Each handler reads the committed state once, decides the
audience with the same rule the API uses (``tickets.selectors.ticket_audience``, the wallet rule
for contacts) and relays one envelope. Ticket and message events read the ticket (its inbox
row, its contact's tags and wallet owners) and the message in one ``values()`` query. Listed
in ``tiktickets/event_handlers.py``.

Wire types (docs/realtime.md): ticket.created, ticket.updated, ticket.transferred, ticket.closed,
ticket.hidden, message.created, message.updated, message.status, message.deleted,
contact.updated, tag.changed, connection.status, connection.session, presence.changed,
access.changed; and, never stored nor replayed, connection.qr, campaign.progress and one
signal, contact.typing (a web chat visitor typing), relayed without id like the consumer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from accounts.domain_events import UserPresenceChanged
from accounts.models import User
from campaigns.domain_events import CampaignProgressed
from campaigns.models import Campaign
from campaigns.selectors import campaign_counts
from channels_integrations.domain_events import (
    ConnectionQrCodeChanged,
    ConnectionSessionChanged,
    ConnectionStatusChanged,
    WebchatVisitorTyping,
)
from channels_integrations.models import ConnectionSessionEntry
from channels_integrations.services.sessions import connection_qr_current
from connections.models import ChannelConnection
from contacts.api.serializers import ContactOutputSerializer
from contacts.domain_events import ContactUpdated, TagChanged
from contacts.models import Contact, Tag
from core.event_bus import DomainEvent, together_memo
from realtime.broadcast import broadcast, ephemeral, ephemeral_from_sync, send_from_sync
from realtime.groups import (
    admins_group,
    audience_groups,
    everyone_group,
    user_group,
    user_groups,
)
from tickets.api.message_serializers import message_row_from_values
from tickets.api.ticket_serializers import ticket_row_from_values
from tickets.domain_events import (
    AgentAccessChanged,
    MessageCreated,
    MessageDeleted,
    MessageStatusChanged,
    MessageUpdated,
    TicketClosed,
    TicketCreated,
    TicketTransferred,
    TicketUpdated,
)
from tickets.models import Ticket
from tickets.selectors import (
    TicketEventRow,
    audience_agent_ids,
    message_event_values,
    message_event_values_many,
    ticket_audience,
    ticket_event_row,
    ticket_event_row_audience,
    ticket_event_rows,
)

_TICKET_EVENTS = (TicketCreated, TicketUpdated, TicketTransferred, TicketClosed)
_MESSAGE_EVENTS = (MessageCreated, MessageUpdated, MessageStatusChanged, MessageDeleted)


def _batch_ticket_rows(events: Sequence[DomainEvent]) -> dict[int, TicketEventRow | None]:
    return ticket_event_rows([e.ticket_id for e in events if isinstance(e, _TICKET_EVENTS)])


def _batch_message_values(
    events: Sequence[DomainEvent],
) -> dict[int, tuple[dict[str, Any], TicketEventRow] | None]:
    return message_event_values_many(
        [e.message_id for e in events if isinstance(e, _MESSAGE_EVENTS)]
    )


def _ticket_row(ticket_id: int) -> TicketEventRow | None:
    rows = together_memo("realtime.ticket_rows", _batch_ticket_rows)
    if rows is not None and ticket_id in rows:
        return rows[ticket_id]
    return ticket_event_row(ticket_id)


def _message_values(message_id: int) -> tuple[dict[str, Any], TicketEventRow] | None:
    rows = together_memo("realtime.message_values", _batch_message_values)
    if rows is not None and message_id in rows:
        return rows[message_id]
    return message_event_values(message_id)


def on_ticket_created(event: TicketCreated) -> None:
    row = _ticket_row(event.ticket_id)
    if row is None or row.is_deleted:
        return
    groups = audience_groups(ticket_event_row_audience(row))
    broadcast("ticket.created", {"ticket": ticket_row_from_values(row.values)}, groups)


def _ticket_changed(
    event_type: str, event: TicketUpdated | TicketTransferred | TicketClosed
) -> None:
    """Relay the new state to its audience, and ``ticket.hidden`` to each user who saw the
    ticket before the change and may not see it any more (so nobody sees it blink away and
    back, as they would if whole groups were told)."""
    row = _ticket_row(event.ticket_id)
    if row is None:
        return
    before = ticket_event_row_audience(
        row,
        queue_id=event.previous_queue_id,
        assignee_id=event.previous_assignee_id,
        ignore_deletion=True,
    )
    hidden = {"ticket": {"public_id": row.public_id}}
    if row.is_deleted:
        broadcast("ticket.hidden", hidden, audience_groups(before))
        return
    after = ticket_event_row_audience(row)
    if before != after:
        gone = audience_agent_ids(before) - audience_agent_ids(after)
        if gone:
            broadcast("ticket.hidden", hidden, user_groups(gone))
    broadcast(event_type, {"ticket": ticket_row_from_values(row.values)}, audience_groups(after))


def on_ticket_updated(event: TicketUpdated) -> None:
    _ticket_changed("ticket.updated", event)


def on_ticket_transferred(event: TicketTransferred) -> None:
    _ticket_changed("ticket.transferred", event)


def on_ticket_closed(event: TicketClosed) -> None:
    _ticket_changed("ticket.closed", event)


def _message_event(event_type: str, message_id: int, *, with_ticket: bool = False) -> None:
    found = _message_values(message_id)
    if found is None or found[1].is_deleted:
        return
    values, ticket = found
    data: dict[str, Any] = {"message": message_row_from_values(values)}
    if with_ticket:  # the inbox row changed too (preview, unread counter, order)
        data["ticket"] = ticket_row_from_values(ticket.values)
    broadcast(event_type, data, audience_groups(ticket_event_row_audience(ticket)))


def on_message_created(event: MessageCreated) -> None:
    _message_event("message.created", event.message_id, with_ticket=True)


def on_message_updated(event: MessageUpdated) -> None:
    _message_event("message.updated", event.message_id)


def on_message_status_changed(event: MessageStatusChanged) -> None:
    _message_event("message.status", event.message_id)


def on_message_deleted(event: MessageDeleted) -> None:
    _message_event("message.deleted", event.message_id)


def on_contact_updated(event: ContactUpdated) -> None:
    """To whoever may see the contact: its wallet owners (and admins) when it has owners,
    everyone otherwise (the rule of ``contacts.selectors.contacts_visible_to``)."""
    contact = (
        Contact.objects.prefetch_related("tags", "owners", "identities")
        .filter(pk=event.contact_id)
        .first()
    )
    if contact is None:
        return
    owner_ids = [owner.pk for owner in contact.owners.all()]
    groups = [admins_group(), *user_groups(owner_ids)] if owner_ids else [everyone_group()]
    broadcast("contact.updated", {"contact": ContactOutputSerializer(contact).data}, groups)


def on_tag_changed(event: TagChanged) -> None:
    tag = None if event.deleted else Tag.objects.filter(pk=event.tag_id).first()
    if tag is None:
        data: dict[str, Any] = {"tag": {"id": event.tag_id}, "deleted": True}
    else:
        tag_data = {"id": tag.pk, "name": tag.name, "color": tag.color, "is_active": tag.is_active}
        data = {"tag": tag_data, "deleted": False}
    broadcast("tag.changed", data, [everyone_group()])


def on_connection_status_changed(event: ConnectionStatusChanged) -> None:
    """Status only: credentials never travel over websockets."""
    connection = ChannelConnection.objects.filter(pk=event.connection_id).first()
    if connection is None:
        return
    data = {
        "public_id": str(connection.public_id),
        "name": connection.name,
        "provider": connection.provider,
        "status": connection.status,
        "status_detail": connection.status_detail,
        "is_active": connection.is_active,
    }
    broadcast("connection.status", {"connection": data}, [everyone_group()])


def on_connection_qr_code_changed(event: ConnectionQrCodeChanged) -> None:
    """The QR code to scan, to the tenant's admins only, never stored in the replay stream
    (a socket that reconnects reads the current one from the connection's page)."""
    qr = connection_qr_current(connection_id=event.connection_id)
    connection = ChannelConnection.objects.filter(pk=event.connection_id).only("public_id").first()
    if qr is None or connection is None:
        return
    expires_in = max(int(qr["expires_at"] - timezone.now().timestamp()), 0)
    data = {"public_id": str(connection.public_id), **qr, "expires_in": expires_in}
    ephemeral_from_sync("connection.qr", {"connection": data}, [admins_group()])


def on_connection_session_changed(event: ConnectionSessionChanged) -> None:
    """A QR-code connection's session state (connected number, a drop and why), to admins."""
    entry = (
        ConnectionSessionEntry.objects.select_related("connection")
        .filter(pk=event.entry_id)
        .first()
    )
    if entry is None:
        return
    data = {
        "public_id": str(entry.connection.public_id),
        "name": entry.connection.name,
        "state": entry.state,
        "state_display": entry.get_state_display(),
        "reason": entry.reason,
        "reason_display": entry.get_reason_display() if entry.reason else "",
        "number": entry.number,
        "profile_name": entry.profile_name,
        "dropped": event.dropped,
        "at": entry.created_at,
    }
    broadcast("connection.session", {"connection": data}, [admins_group()])


def on_webchat_visitor_typing(event: WebchatVisitorTyping) -> None:
    """A web chat visitor typing, to whoever may see their ticket (a signal: no id, no replay)."""
    ticket = Ticket.objects.select_related("contact").filter(pk=event.ticket_id).first()
    if ticket is None:
        return
    data = {
        "ticket": str(ticket.public_id),
        "contact": {"id": str(ticket.contact.public_id), "name": ticket.contact.name},
        "typing": event.typing,
    }
    groups = audience_groups(ticket_audience(ticket))
    send_from_sync(ephemeral("contact.typing", data, groups))


def on_user_presence_changed(event: UserPresenceChanged) -> None:
    user = User.objects.filter(pk=event.user_id).only("pk", "name", "last_seen_at").first()
    if user is None:
        return
    data = {
        "id": user.pk,
        "name": str(user),
        "status": event.status,
        "last_seen_at": user.last_seen_at,
    }
    # To admins only: with every agent's first socket being a change, a tenant-wide broadcast
    # costs agents² frames whenever everybody reconnects (a deploy); agents read colleagues'
    # status when they need it (transfer dialog).
    broadcast("presence.changed", {"user": data}, [admins_group()])


def on_agent_access_changed(event: AgentAccessChanged) -> None:
    """Their sockets re-subscribe when they relay this (consumers.py) and their inboxes reload."""
    for user_id in event.user_ids:
        broadcast("access.changed", {}, [user_group(user_id)])


def on_campaign_progressed(event: CampaignProgressed) -> None:
    """A campaign's status and counts (read from its recipients), to the tenant's admins; a
    signal, not stored for replay: the page reads the current figures when it loads."""
    campaign = Campaign.objects.filter(pk=event.campaign_id).first()
    if campaign is None:
        return
    data = {
        "id": str(campaign.public_id),
        "status": campaign.status,
        "counts": campaign_counts(campaign=campaign),
    }
    ephemeral_from_sync("campaign.progress", {"campaign": data}, [admins_group()])
