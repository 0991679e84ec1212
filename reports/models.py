"""The attendance rollup: one row per ticket with what reports aggregate."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, F, FloatField, Func, Q, When

from connections.models import ChannelConnection
from contacts.models import Contact
from tickets.models import Queue, Ticket


class EpochSeconds(Func):
    """``date_part('epoch', end - start)``: the seconds between two timestamps (double precision;
    ``EXTRACT`` would give a slower numeric). Null when either is null."""

    template = "date_part('epoch', %(expressions)s)"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, end: str, start: str) -> None:
        super().__init__(F(end), F(start))


def _seconds(expression: Func | Case) -> models.GeneratedField:
    return models.GeneratedField(expression=expression, output_field=FloatField(), db_persist=True)


class Attendance(models.Model):
    """A ticket (one attendance) as reports read it: its timestamps and dimensions.

    Derived, never edited: ``reports.services.attendances_refresh`` recomputes rows from the
    ticket's append-only timeline (``TicketEvent``) and its messages, with the definitions of
    ``reports.selectors.rollup``; the event handlers refresh a ticket's row after each change and
    ``manage.py reports_rebuild`` recomputes every row. Reports aggregate this table only, so
    their cost depends on the number of attendances in the period, not on the timeline's size.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    opened_at = models.DateTimeField()
    is_outbound = models.BooleanField()
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(ChannelConnection, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=32)
    # The queue and agent now, which for a closed ticket are those it was closed in and by.
    queue = models.ForeignKey(
        Queue, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=16)
    first_accepted_at = models.DateTimeField(null=True, blank=True)
    bot_handover_at = models.DateTimeField(null=True, blank=True)
    first_inbound_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    is_deleted = models.BooleanField(default=False)
    # The time figures of each attendance, derived by PostgreSQL from the timestamps above (null
    # where a figure does not apply); reports.selectors.figures.DURATIONS says which period
    # each is counted in.
    first_response_seconds = _seconds(EpochSeconds("first_response_at", "first_inbound_at"))
    # Only attendances the customer started wait: an agent's own outbound one never does.
    wait_seconds = _seconds(
        Case(
            When(is_outbound=False, then=EpochSeconds("first_accepted_at", "opened_at")),
            output_field=FloatField(),
        )
    )
    bot_seconds = _seconds(EpochSeconds("bot_handover_at", "opened_at"))
    handling_seconds = _seconds(EpochSeconds("closed_at", "first_accepted_at"))
    resolution_seconds = _seconds(EpochSeconds("closed_at", "opened_at"))
    # Their business-hours variants: the same spans, counting only the seconds during which
    # the attendance's queue was open (its schedule, else the tenant's; equal to the calendar
    # figure when neither is enabled). Computed in Python by attendances_refresh from the
    # schedule (reports.selectors.business_time.open_seconds); null where the figure is.
    first_response_business_seconds = models.FloatField(null=True, blank=True)
    wait_business_seconds = models.FloatField(null=True, blank=True)
    bot_business_seconds = models.FloatField(null=True, blank=True)
    handling_business_seconds = models.FloatField(null=True, blank=True)
    resolution_business_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at", "ticket_id"]
        indexes = [
            # Every figure "of attendances opened in the period" (cards, daily series, heatmap,
            # per channel, per queue).
            models.Index(
                fields=["opened_at"], condition=Q(is_deleted=False), name="attendance_opened_idx"
            ),
            # Handling and resolution times "of attendances closed in the period".
            models.Index(
                fields=["closed_at"],
                condition=Q(is_deleted=False, closed_at__isnull=False),
                name="attendance_closed_idx",
            ),
            # An agent's own figures.
            models.Index(fields=["agent", "opened_at"], name="attendance_agent_idx"),
            # The backlog now: pending and open attendances per queue and agent.
            models.Index(
                fields=["queue", "agent", "status"],
                condition=Q(status__in=["pending", "open"], is_deleted=False),
                name="attendance_backlog_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"attendance {self.ticket_id}"
