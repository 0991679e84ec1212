"""Reads of messages; visibility follows the ticket's (``tickets_visible_to``)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.contrib.postgres.fields import ArrayField
from django.db.models import BigIntegerField, Expression, F, Prefetch, Q, QuerySet

from accounts.models import User
from contacts.models import Tag
from core.db.compiled import CompiledValues, Slot, values_compiled
from core.selectors import get_visible_or_404
from tickets.errors import MessageNotFound
from tickets.models import Message, MessageEdit, Ticket
from tickets.selectors.tickets import (
    EqualsAny,
    TicketEventRow,
    ticket_event_values,
    tickets_visible_to,
)


def message_get_for_agent(*, user: User, public_id: UUID | str) -> Message:
    """One message of a ticket ``user`` may see; ``MessageNotFound`` when missing or not."""
    messages = Message.objects.select_related("ticket", "ticket__contact", "sender_user").filter(
        ticket__in=tickets_visible_to(user).values("pk")
    )
    return get_visible_or_404(messages, MessageNotFound, public_id=public_id)


def message_on_ticket(*, ticket: Ticket, public_id: UUID | str) -> Message | None:
    """A message of ``ticket`` by its public id (a quote target), or None."""
    try:
        return Message.objects.filter(ticket=ticket, public_id=public_id).first()
    except ValueError:
        return None


def messages_of_ticket(*, ticket: Ticket, before: Message | None = None) -> QuerySet[Message]:
    """The ticket's messages and notes, newest first (``-created_at, -id``, indexed), with
    everything the API shows; ``before`` keeps only older ones than that message."""
    messages = Message.objects.filter(ticket=ticket)
    if before is not None:
        messages = messages.filter(
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.pk)
        )
    return messages.select_related("ticket", "sender_user", "sender_contact", "quoted").order_by(
        "-created_at", "-id"
    )


def message_edits_of(*, message: Message) -> QuerySet[MessageEdit]:
    """A message's previous texts, oldest first."""
    return MessageEdit.objects.filter(message=message).select_related("edited_by")


def message_get_for_event(message_id: int) -> Message | None:
    """A message as events show it, with its ticket loaded as an inbox row (contact,
    connection, queue, assignee, contact tags); None if gone. Two queries."""
    found = list(
        Message.objects.select_related(
            "sender_user",
            "quoted",
            "ticket__contact",
            "ticket__connection",
            "ticket__queue",
            "ticket__assignee",
        )
        .prefetch_related(
            Prefetch("ticket__contact__tags", queryset=Tag.objects.order_by("name", "id"))
        )
        .filter(pk=message_id)
        .order_by()[:1]
    )
    return found[0] if found else None


MESSAGE_EVENT_FIELDS = (
    "public_id",
    "direction",
    "sender",
    "sender_user_id",
    "kind",
    "body",
    "payload",
    "media",
    "media_name",
    "media_mime",
    "media_size",
    "quoted_id",
    "is_forwarded",
    "is_note",
    "status",
    "error_code",
    "error_detail",
    "scheduled_at",
    "dispatched_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "edited_at",
    "deleted_at",
    "created_at",
    "customer_copy",
)


def _message_row_joins() -> dict[str, F]:
    """The sender's and the quoted message's columns a message row shows, as the keys
    ``message_row_from_values`` reads."""
    return {
        "su_name": F("sender_user__name"),
        "su_email": F("sender_user__email"),
        "q_public_id": F("quoted__public_id"),
        "q_kind": F("quoted__kind"),
        "q_body": F("quoted__body"),
        "q_media_name": F("quoted__media_name"),
        "q_deleted_at": F("quoted__deleted_at"),
    }


def message_event_values(message_id: int) -> tuple[dict[str, Any], TicketEventRow] | None:
    """``message_get_for_event`` as values, in one query: the message's fields (those of
    ``MESSAGE_EVENT_FIELDS``, its sender's ``su_…`` and its quoted message's ``q_…``) for
    ``tickets.api.message_serializers.message_row_from_values``, and its ticket's event row;
    None if gone."""
    return message_event_values_many([message_id])[message_id]


def message_event_values_many(
    message_ids: Sequence[int],
) -> dict[int, tuple[dict[str, Any], TicketEventRow] | None]:
    """``message_event_values`` of several messages in one query (the live events of an
    inbound batch), keyed by id; None for a message that is gone. Each entry is exactly what
    ``message_event_values`` gives for that id.

    The statement is ``message_event_queryset``'s, compiled once per process
    (``_message_event_statement``, ``core.db.compiled``) with the ids bound as one array on each
    call: building and compiling it cost more CPU than running it, once per live message event
    and once per note.
    It names no schema (the connection's ``search_path`` picks the tenant's tables), so one
    statement serves every tenant (``tickets/tests/test_message_event_statement.py``)."""
    found: dict[int, tuple[dict[str, Any], TicketEventRow] | None] = dict.fromkeys(message_ids)
    if not found:
        return found
    for values in _message_event_statement().rows({"ids": list(found)}):
        message_id = values.pop("m_id")
        found[message_id] = (values, TicketEventRow(values))
    return found


def message_event_queryset(message_ids: Any) -> QuerySet[Any]:
    """The ``values()`` query ``message_event_values_many`` runs, for ``message_ids`` (a list,
    or the expression the compiled statement binds): the message's fields, ``m_id``, its
    sender's and quoted message's columns and its ticket's event row."""
    if isinstance(message_ids, Expression):
        messages = Message.objects.filter(EqualsAny(F("id"), message_ids))
    else:
        messages = Message.objects.filter(pk__in=list(message_ids))
    return messages.order_by().values(
        *MESSAGE_EVENT_FIELDS,
        m_id=F("id"),
        **_message_row_joins(),
        **ticket_event_values("ticket__"),
    )


@lru_cache(maxsize=1)
def _message_event_statement() -> CompiledValues:
    """``message_event_queryset`` compiled once, the ids bound as one array (``id = ANY(%s)``)."""
    return values_compiled(message_event_queryset(Slot("ids", ArrayField(BigIntegerField()))))


def messages_scheduled_of(*, ticket: Ticket) -> QuerySet[Message]:
    """The ticket's scheduled messages not handed over yet (nor cancelled), soonest first,
    with their author (the panel's list, where they can be cancelled)."""
    return (
        Message.objects.filter(
            ticket=ticket,
            scheduled_at__isnull=False,
            dispatched_at__isnull=True,
            deleted_at__isnull=True,
        )
        .select_related("sender_user")
        .order_by("scheduled_at", "id")
    )


def message_page_values(messages: QuerySet[Message]) -> QuerySet[Any]:
    """``messages`` (as ``messages_of_ticket`` gives them) read as plain values: the keys
    ``tickets.api.message_serializers.message_row_from_values`` renders but the ticket's public
    id (one ticket's page: the caller has it), plus ``id`` for keyset pagination. No model
    instances: a page of 40 messages built 120-200 of them (message, ticket, sender, quote)."""
    return messages.select_related(None).values(
        *MESSAGE_EVENT_FIELDS,
        "id",
        **_message_row_joins(),
    )


_MESSAGE_PAGE_ORDER = ("-created_at", "-id")
_MESSAGE_PAGE_ORDER_REVERSED = ("created_at", "id")


def message_page(
    *,
    ticket: Ticket,
    before: Message | None = None,
    reverse: bool = False,
    after: tuple[str, Any] | None = None,
    offset: int = 0,
    limit: int = 41,
) -> list[dict[str, Any]]:
    """Rows ``[offset:offset + limit]`` of ``message_page_values(messages_of_ticket(ticket=…,
    before=…))`` newest first (``reverse``: oldest first), past ``after`` (``("lt" | "gt",
    created_at)``): the keyset paginator's page of the messages API, with the same SQL and the
    same values.

    Building and compiling that queryset was about 40 % of a messages page's CPU, and only its
    values change from one request to the next: each process compiles each shape (``before``
    given or not, the page's direction, bound, offset and size) once with the ticket, ``before``
    and the bound as slots (``core.db.compiled``). The SQL names no schema, so one shape serves
    every tenant (``tickets/tests/test_message_page_statement.py``)."""
    shape = (before is not None, reverse, None if after is None else after[0], offset, limit)
    values: dict[Hashable, Any] = {"ticket": ticket.pk}
    if before is not None:
        values.update(before_created_at=before.created_at, before_id=before.pk)
    if after is not None:
        values["after"] = after[1]
    return _compiled_message_page(shape).rows(values)


@lru_cache(maxsize=256)
def _compiled_message_page(shape: tuple[Any, ...]) -> CompiledValues:
    """The messages page's query for ``shape`` (``message_page``), compiled with slots."""
    has_before, reverse, after_lookup, offset, limit = shape
    created_at, pk = Message._meta.get_field("created_at"), Message._meta.get_field("id")
    messages = Message.objects.filter(ticket_id=Slot("ticket", Ticket._meta.get_field("id")))
    if has_before:
        moment = Slot("before_created_at", created_at)
        messages = messages.filter(
            Q(created_at__lt=moment) | Q(created_at=moment, id__lt=Slot("before_id", pk))
        )
    rows = message_page_values(
        messages.order_by(*(_MESSAGE_PAGE_ORDER_REVERSED if reverse else _MESSAGE_PAGE_ORDER))
    )
    if after_lookup is not None:
        rows = rows.filter(**{f"created_at__{after_lookup}": Slot("after", created_at)})
    return values_compiled(rows[offset : offset + limit])
