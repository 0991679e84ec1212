"""The per-attendance facts, computed from the raw timeline: the definitions every report uses.

``attendance_rows_raw`` returns, for each ticket, the values of an ``Attendance`` row. It is the
one place where a timestamp of an attendance is defined; the rollup table stores exactly these
values (``reports.services.attendances_refresh``) and a test holds the two equal.
"""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from tickets.models import Message, Ticket, TicketEvent

Kind = TicketEvent.Kind

# The timeline entries in which an agent takes the attendance:
#   accepted                         an agent accepts a pending ticket;
#   transferred with a to_agent      it is transferred straight to an agent (received transfer);
#   reopened with an actor           an agent reopens a closed ticket, which assigns it to them;
#   created with an actor            an agent opens it (outbound, "demanda ativa": no wait).
# Reopening by the customer (no actor) and transfers to a queue only put it back to wait.
TAKEN_BY_AGENT = (
    Q(kind=Kind.ACCEPTED)
    | Q(kind=Kind.TRANSFERRED, data__to_agent__id__isnull=False)
    | Q(kind__in=[Kind.REOPENED, Kind.CREATED], actor__isnull=False)
)

# Columns of an Attendance row, in the order attendances_refresh inserts them.
ATTENDANCE_COLUMNS = (
    "ticket_id",
    "opened_at",
    "is_outbound",
    "contact_id",
    "connection_id",
    "provider",
    "queue_id",
    "agent_id",
    "status",
    "first_accepted_at",
    "bot_handover_at",
    "first_inbound_at",
    "first_response_at",
    "closed_at",
    "reopen_count",
    "is_deleted",
)


def attendance_rows_raw() -> QuerySet[Ticket]:
    """Every ticket with its Attendance values as annotations named like the columns.

    * ``opened_at``: when the ticket was created (an attendance opens once; a reopen by the
      reopen window continues the same attendance and is counted in ``reopen_count``).
    * ``first_accepted_at``: the first timeline entry in which an agent takes it
      (``TAKEN_BY_AGENT``); null while nobody has.
    * ``bot_handover_at``: the last bot message sent before ``first_accepted_at``: until then
      the customer talked with the bot; null when the bot never spoke before an agent took it.
    * ``first_inbound_at``: the customer's first message.
    * ``first_response_at``: the first message an agent sent to the customer (notes excluded)
      at or after ``first_inbound_at``.
    * ``closed_at``: the close of a closed ticket (null when it is pending or open, reopened
      tickets included); queue and agent are the ticket's now, i.e. at close when closed.
    * ``reopen_count``: the ``reopened`` entries of its timeline.
    """
    events = TicketEvent.objects.filter(ticket_id=OuterRef("pk"))
    messages = Message.objects.filter(ticket_id=OuterRef("pk"))
    first_accepted = events.filter(TAKEN_BY_AGENT).order_by("created_at", "id").values("created_at")
    rows = Ticket.objects.annotate(
        first_accepted_at=Subquery(first_accepted[:1]),
        first_inbound_at=Subquery(
            messages.filter(direction=Message.Direction.INBOUND)
            .order_by("created_at", "id")
            .values("created_at")[:1]
        ),
    )
    return rows.annotate(
        bot_handover_at=Subquery(
            messages.filter(
                sender=Message.Sender.BOT, created_at__lte=OuterRef("first_accepted_at")
            )
            .order_by("-created_at", "-id")
            .values("created_at")[:1]
        ),
        first_response_at=Subquery(
            messages.filter(
                direction=Message.Direction.OUTBOUND,
                sender=Message.Sender.AGENT,
                is_note=False,
                created_at__gte=OuterRef("first_inbound_at"),
            )
            .order_by("created_at", "id")
            .values("created_at")[:1]
        ),
        reopen_count=Coalesce(
            Subquery(
                events.filter(kind=Kind.REOPENED)
                .order_by()
                .values("ticket_id")
                .annotate(n=Count("id"))
                .values("n")
            ),
            0,
            output_field=IntegerField(),
        ),
        opened_at=F("created_at"),
        provider=F("connection__provider"),
        agent_id=F("assignee_id"),
        is_deleted=ExpressionWrapper(Q(deleted_at__isnull=False), output_field=BooleanField()),
    )


def attendance_values_raw(rows: QuerySet[Ticket] | None = None) -> QuerySet[Ticket, dict]:
    """``rows`` (default: every ticket) as dicts keyed by the Attendance column names."""
    rows = attendance_rows_raw() if rows is None else rows
    return rows.values(*ATTENDANCE_COLUMNS[1:], ticket_id=F("pk"))
