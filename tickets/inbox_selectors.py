"""Reads of the dashboard's inbox page that the shared selectors do not cover: a keyset page of
``ticket_list_for_inbox``, the tabs' counts, the filters' options, the live-event position."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from django.utils.dateparse import parse_datetime

from accounts.models import User
from contacts.models import Tag
from contacts.selectors import tag_list
from core.redis import redis_client
from tenants.tenancy import redis_key
from tickets.models import Queue, Ticket
from tickets.selectors import ticket_list_for_inbox

TABS = (Ticket.Status.PENDING, Ticket.Status.OPEN, Ticket.Status.CLOSED)
SCOPES = ("mine", "queues", "all")
PAGE_SIZE = 30
# A tab's badge counts up to this many tickets and then shows "999+": an exact count of a
# tenant's closed tickets would scan all of them on every page load and live update.
COUNT_CAP = 999


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox shows: a tab (status), a scope and the optional filters."""

    tab: str = Ticket.Status.PENDING
    scope: str = "all"
    queue_id: int | None = None
    tag_id: int | None = None
    connection_id: str | None = None
    unread_only: bool = False
    search: str = ""


def inbox_tickets(*, user: User, filters: InboxFilters, tab: str | None = None) -> QuerySet[Ticket]:
    """``ticket_list_for_inbox`` for the page's filters (``tab`` overrides the status)."""
    return ticket_list_for_inbox(
        user=user,
        status=[tab or filters.tab],
        scope=filters.scope,
        queue_ids=[filters.queue_id] if filters.queue_id else (),
        tag_ids=[filters.tag_id] if filters.tag_id else (),
        connection_ids=[filters.connection_id] if filters.connection_id else (),
        unread_only=filters.unread_only,
        search=filters.search,
    )


# ---------------------------------------------------------------- keyset pages


def cursor_encode(ticket: Ticket) -> str:
    """An opaque cursor pointing just after ``ticket`` in the inbox order."""
    at = ticket.last_message_at.isoformat() if ticket.last_message_at else ""
    return base64.urlsafe_b64encode(f"{at}|{ticket.pk}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime | None, int]:
    """The (last_message_at, id) of a cursor; ValueError when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at_text, pk_text = base64.urlsafe_b64decode(padded).decode().split("|")
        at = parse_datetime(at_text) if at_text else None
        if at_text and at is None:
            raise ValueError(cursor)
        return at, int(pk_text)
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(cursor) from exc


def inbox_page(
    tickets: QuerySet[Ticket], *, after: tuple[datetime | None, int] | None, size: int = PAGE_SIZE
) -> tuple[list[Ticket], str | None]:
    """One page of ``tickets`` in the inbox order (newest activity first) starting after the
    cursor position, and the cursor of the next page (None on the last one).

    Keyset, never OFFSET: ``(last_message_at, id) < (…)`` is a row comparison the inbox indexes
    (…, -last_message_at, -id) answer directly, so page 100 costs what page 1 costs. PostgreSQL
    sorts NULL activity first in a descending order; the NULL branch follows that.
    """
    tickets = tickets.order_by("-last_message_at", "-id")
    if after is not None:
        at, pk = after
        if at is None:
            tickets = tickets.filter(
                Q(last_message_at__isnull=True, id__lt=pk) | Q(last_message_at__isnull=False)
            )
        else:
            tickets = tickets.filter(TupleLessThan(Tuple("last_message_at", "id"), (at, pk)))
    rows = list(tickets[: size + 1])
    if len(rows) > size:
        return rows[:size], cursor_encode(rows[size - 1])
    return rows, None


# ---------------------------------------------------------------- counts and options


def inbox_counts(*, user: User, filters: InboxFilters) -> dict[str, int]:
    """Tickets per tab under the page's scope and filters, each counted up to ``COUNT_CAP + 1``
    (``COUNT(*)`` over a ``LIMIT`` sub-select: cheap however many tickets a tab holds)."""
    return {
        tab: inbox_tickets(user=user, filters=filters, tab=tab)
        .order_by()
        .values("pk")[: COUNT_CAP + 1]
        .count()
        for tab in TABS
    }


@dataclass(frozen=True)
class InboxFilterOptions:
    """The choices of the filter menus."""

    queues: list[Queue]
    tags: list[Tag]
    connections: list[Any]  # channels_integrations.ChannelConnection (an app above this one)


def inbox_filter_options(*, user: User) -> InboxFilterOptions:
    """Queues (admins: all; agents: their own active ones), active tags, active connections."""
    queues = Queue.objects.only("id", "name", "color").order_by("name", "id")
    if not user.is_admin:
        queues = queues.filter(is_active=True, members=user)
    # The connection model belongs to the channels app, above this one: reach it by relation.
    connection_model = Ticket._meta.get_field("connection").related_model
    connections = connection_model._default_manager.filter(is_active=True).order_by("name", "id")
    return InboxFilterOptions(
        queues=list(queues),
        tags=list(tag_list(active_only=True).only("id", "name", "color")),
        connections=list(connections.only("public_id", "name", "provider")),
    )


def realtime_last_event_id() -> int:
    """The tenant's latest live-event id (``realtime.stream.stream_last_id``, which this app
    may not import): read before the list, the page's socket replays whatever came after."""
    value = redis_client().get(redis_key("realtime", "seq"))
    return int(value) if value else 0
