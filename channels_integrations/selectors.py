"""Reads of channel connections. Credentials are never shown in full: the API serializers list
the fields they show (agents get no credentials, admins get them masked)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User
from channels_integrations.errors import TemplateNotFound
from channels_integrations.models import (
    BlockedMessage,
    ConnectionSessionEntry,
    InboundEvent,
    MessageTemplate,
)
from connections.errors import ConnectionNotFound
from connections.models import ChannelConnection
from contacts.models import Contact
from core.selectors import get_visible_or_404


def connections_list() -> QuerySet[ChannelConnection]:
    """The tenant's connections (active or not) with their routing and its default queue."""
    return ChannelConnection.objects.select_related("routing__default_queue")


def connection_get(*, public_id: UUID | str) -> ChannelConnection:
    """One connection of the tenant by its public id; 404 ``not_found`` otherwise."""
    return get_visible_or_404(connections_list(), ConnectionNotFound, public_id=public_id)


BLOCKED_MESSAGES_SHOWN = 50


def blocked_messages_of(*, contact: Contact, user: User) -> list[BlockedMessage]:
    """The latest messages a blocked contact sent (admins only: agents get none), with their
    connection, in one query."""
    if not user.is_admin:
        return []
    return list(
        BlockedMessage.objects.filter(contact=contact).select_related("connection")[
            :BLOCKED_MESSAGES_SHOWN
        ]
    )


# The review page shows at most this many events (newest first); the rest wait their turn.
INBOUND_REVIEW_LIMIT = 200


def inbound_events_for_review(*, status: str = "") -> QuerySet[InboundEvent]:
    """The tenant's inbound events an admin may retry: ``failed`` and ``quarantined`` ones (or
    only those of ``status``), newest first, with their connection; at most
    ``INBOUND_REVIEW_LIMIT``."""
    statuses: list[str] = [InboundEvent.Status.FAILED, InboundEvent.Status.QUARANTINED]
    if status in statuses:
        statuses = [status]
    return (
        InboundEvent.objects.filter(status__in=statuses)
        .select_related("connection")
        .order_by("-created_at", "-id")[:INBOUND_REVIEW_LIMIT]
    )


def connection_session_history(
    *, connection: ChannelConnection
) -> QuerySet[ConnectionSessionEntry]:
    """A QR-code connection's session states, newest first, with who started each."""
    return ConnectionSessionEntry.objects.filter(connection=connection).select_related("actor")


def templates_list(
    *, user: User, connection: ChannelConnection | None = None, status: str = ""
) -> QuerySet[MessageTemplate]:
    """The tenant's message templates (of ``connection``), by name and language, with their
    connection. Admins see every status; agents, who only send them, the approved ones."""
    rows = MessageTemplate.objects.select_related("connection")
    if connection is not None:
        rows = rows.filter(connection=connection)
    if not user.is_admin:
        rows = rows.filter(status=MessageTemplate.Status.APPROVED)
    elif status:
        rows = rows.filter(status=status)
    return rows.order_by("name", "language", "id")


def template_get(*, user: User, public_id: UUID | str) -> MessageTemplate:
    """One template ``user`` may see (``templates_list``); 404 ``template_not_found``
    otherwise, missing or not theirs alike."""
    return get_visible_or_404(templates_list(user=user), TemplateNotFound, public_id=public_id)
