"""The figures of the reports: each defined once, here, next to its query.

Every figure reads the attendance rollup (``reports.models.Attendance``, whose timestamps are
defined in ``reports.selectors.rollup``), except the per-agent "taken" count (the timeline) and
the backlog now (the tickets themselves). Periods are whole local days of the tenant's time zone
(``Period.start`` inclusive, ``Period.end`` exclusive). Durations are in seconds; for each one
the mean, the median and the 90th percentile come from PostgreSQL (``avg``,
``percentile_cont(0.5)``, ``percentile_cont(0.9)``), over the attendances the figure names. An
empty period gives zeros, never nulls.

The number of queries does not depend on the period: each figure is one aggregate query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, ExtractHour, ExtractIsoWeekDay, TruncDate

from accounts.models import User
from connections.providers.registry import provider_label
from contacts.models import Contact
from reports.models import Attendance
from reports.selectors.periods import Period, ReportFilters
from reports.selectors.rollup import TAKEN_BY_AGENT
from tickets.models import Ticket, TicketEvent
from tickets.selectors import tickets_visible_to


class Percentile(Aggregate):
    """``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`` (continuous)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


class Seconds(Func):
    """``EXTRACT(EPOCH FROM end - start)``: the seconds between two timestamps."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, end: str, start: str) -> None:
        super().__init__(F(end), F(start))


@dataclass(frozen=True)
class Duration:
    """A time figure: how many attendances it is measured over, and their mean, median, p90."""

    count: int = 0
    mean: float = 0.0
    median: float = 0.0
    p90: float = 0.0


# ----------------------------------------------------------------------------- scope


def attendances_for(*, user: User, filters: ReportFilters) -> QuerySet[Attendance]:
    """The attendances whose figures ``user`` may see, narrowed by ``filters``.

    Admins: the tenant's. Agents: their own (the attendances they hold now or closed), among the
    tickets the visibility rule lets them see (``tickets.selectors.tickets_visible_to``). Soft-
    deleted tickets are in no report. The tag filter means "the contact has any of the tags".
    """
    rows = Attendance.objects.filter(is_deleted=False)
    if not user.is_admin:
        rows = rows.filter(agent_id=user.pk, ticket_id__in=tickets_visible_to(user).values("pk"))
    if filters.queue_ids:
        rows = rows.filter(queue_id__in=filters.queue_ids)
    if filters.agent_ids:
        rows = rows.filter(agent_id__in=filters.agent_ids)
    if filters.providers:
        rows = rows.filter(provider__in=filters.providers)
    if filters.connection_ids:
        rows = rows.filter(connection_id__in=filters.connection_ids)
    if filters.tag_ids:
        tagged = Contact.tags.through.objects.filter(
            contact_id=OuterRef("contact_id"), tag_id__in=filters.tag_ids
        )
        rows = rows.filter(Exists(tagged))
    return rows


def _opened_in(period: Period) -> Q:
    return Q(opened_at__gte=period.start, opened_at__lt=period.end)


def _closed_in(period: Period) -> Q:
    return Q(closed_at__gte=period.start, closed_at__lt=period.end)


def _touching(rows: QuerySet[Attendance], *periods: Period) -> QuerySet[Attendance]:
    """Only the rows opened or closed in one of the periods (what any figure below reads)."""
    condition = Q()
    for period in periods:
        condition |= _opened_in(period) | _closed_in(period)
    return rows.filter(condition)


# ----------------------------------------------------------------------------- durations


@dataclass(frozen=True)
class TimeFigure:
    """A time figure: the seconds it measures, over which attendances of a period, and its
    definition in words (shown by the API schema)."""

    seconds: Seconds
    over: Callable[[Period], Q]
    definition: str


DURATIONS: dict[str, TimeFigure] = {
    "first_response": TimeFigure(
        Seconds("first_response_at", "first_inbound_at"),
        lambda p: _opened_in(p) & Q(first_response_at__isnull=False),
        "First response time: the first message an agent sent to the customer (notes excluded) "
        "minus the customer's first message, over attendances opened in the period that have "
        "both.",
    ),
    "wait": TimeFigure(
        Seconds("first_accepted_at", "opened_at"),
        lambda p: _opened_in(p) & Q(is_outbound=False, first_accepted_at__isnull=False),
        "Waiting time (TME): the first time an agent took the attendance (accepted it, received "
        "it by transfer, reopened it) minus its opening, over attendances started by the "
        "customer, opened in the period and taken; time with the bot included.",
    ),
    "bot": TimeFigure(
        Seconds("bot_handover_at", "opened_at"),
        lambda p: _opened_in(p) & Q(bot_handover_at__isnull=False),
        "Time with the bot: the bot's last message before an agent took the attendance minus "
        "its opening, over attendances opened in the period in which the bot spoke first.",
    ),
    "handling": TimeFigure(
        Seconds("closed_at", "first_accepted_at"),
        lambda p: _closed_in(p) & Q(first_accepted_at__isnull=False),
        "Handling time (TMA): the close minus the first time an agent took the attendance, "
        "over attendances closed in the period that an agent took.",
    ),
    "resolution": TimeFigure(
        Seconds("closed_at", "opened_at"),
        _closed_in,
        "Resolution time: the close minus the opening, over attendances closed in the period.",
    ),
}

# The counts, defined by report_cards' query.
COUNTS: dict[str, str] = {
    "attendances": "Attendances opened in the period (started by the customer or by an agent).",
    "active": "Of those, started by an agent (outbound, active demand).",
    "receptive": "Of those, started by the customer (receptive demand).",
    "new_contacts": "Contacts created in the period; when the report is narrowed (filters, an "
    "agent's own figures), only those with an attendance in that scope.",
    "reopened": "Attendances opened in the period that were reopened at least once.",
    "reopen_rate": "reopened / attendances, in percent (one decimal; 0 when there are none).",
}


def _duration_aggregates(prefix: str, name: str, condition: Q) -> dict[str, Aggregate]:
    expression = DURATIONS[name].seconds
    return {
        f"{prefix}{name}_count": Count("pk", filter=condition),
        f"{prefix}{name}_mean": Avg(expression, filter=condition),
        f"{prefix}{name}_median": Percentile(expression, fraction=0.5, filter=condition),
        f"{prefix}{name}_p90": Percentile(expression, fraction=0.9, filter=condition),
    }


def _duration(values: dict[str, Any], prefix: str, name: str) -> Duration:
    return Duration(
        count=values[f"{prefix}{name}_count"] or 0,
        mean=values[f"{prefix}{name}_mean"] or 0.0,
        median=values[f"{prefix}{name}_median"] or 0.0,
        p90=values[f"{prefix}{name}_p90"] or 0.0,
    )


# ----------------------------------------------------------------------------- cards


@dataclass(frozen=True)
class Cards:
    """The headline figures of one period (see ``report_cards``)."""

    attendances: int
    active: int
    receptive: int
    new_contacts: int
    reopened: int
    first_response: Duration
    wait: Duration
    bot: Duration
    handling: Duration
    resolution: Duration

    @property
    def reopen_rate(self) -> float:
        """Percentage of the period's attendances that were reopened at least once."""
        return round(100 * self.reopened / self.attendances, 1) if self.attendances else 0.0


def report_cards(
    *, rows: QuerySet[Attendance], period: Period, narrowed: bool
) -> tuple[Cards, Cards]:
    """The cards of ``period`` and of the period just before it, in two queries.

    * attendances: opened in the period (customer- and agent-started);
    * active / receptive demand: of those, started by an agent (``is_outbound``) / by the
      customer;
    * reopened: of those, reopened at least once (``reopen_count > 0``);
    * new contacts: contacts created in the period; when the report is narrowed (filters, or an
      agent's own figures) only those with an attendance in the scope;
    * the time figures of ``DURATIONS``.

    ``COUNTS`` and ``DURATIONS`` hold each definition in words (the API schema shows them).
    """
    previous = period.previous()
    aggregates: dict[str, Aggregate] = {}
    for prefix, each in (("cur_", period), ("prev_", previous)):
        opened = _opened_in(each)
        aggregates[f"{prefix}attendances"] = Count("pk", filter=opened)
        aggregates[f"{prefix}active"] = Count("pk", filter=opened & Q(is_outbound=True))
        aggregates[f"{prefix}reopened"] = Count("pk", filter=opened & Q(reopen_count__gt=0))
        for name, figure in DURATIONS.items():
            aggregates.update(_duration_aggregates(prefix, name, figure.over(each)))
    values = _touching(rows, period, previous).aggregate(**aggregates)
    contacts = _new_contacts(rows=rows, period=period, previous=previous, narrowed=narrowed)
    return tuple(  # type: ignore[return-value]
        Cards(
            attendances=values[f"{prefix}attendances"],
            active=values[f"{prefix}active"],
            receptive=values[f"{prefix}attendances"] - values[f"{prefix}active"],
            new_contacts=contacts[f"{prefix}contacts"],
            reopened=values[f"{prefix}reopened"],
            first_response=_duration(values, prefix, "first_response"),
            wait=_duration(values, prefix, "wait"),
            bot=_duration(values, prefix, "bot"),
            handling=_duration(values, prefix, "handling"),
            resolution=_duration(values, prefix, "resolution"),
        )
        for prefix in ("cur_", "prev_")
    )


def _new_contacts(
    *, rows: QuerySet[Attendance], period: Period, previous: Period, narrowed: bool
) -> dict[str, int]:
    contacts = Contact.objects.filter(created_at__gte=previous.start, created_at__lt=period.end)
    if narrowed:  # contacts with an attendance in the scope
        contacts = contacts.filter(Exists(rows.filter(contact_id=OuterRef("pk"))))
    return contacts.aggregate(
        cur_contacts=Count("pk", filter=Q(created_at__gte=period.start)),
        prev_contacts=Count("pk", filter=Q(created_at__lt=period.start)),
    )


# ----------------------------------------------------------------------------- series


def report_daily(*, rows: QuerySet[Attendance], period: Period) -> list[tuple[date, int]]:
    """Attendances opened per local day of the period, every day present (zero-filled)."""
    counts = dict(
        rows.filter(_opened_in(period))
        .annotate(day=TruncDate("opened_at", tzinfo=period.zone))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return [(day, counts.get(day, 0)) for day in period.dates()]


def report_week_hours(*, rows: QuerySet[Attendance], period: Period) -> list[list[int]]:
    """Attendances opened per local weekday (Monday first) and hour: 7 lists of 24 counts."""
    grid = [[0] * 24 for _ in range(7)]
    cells = (
        rows.filter(_opened_in(period))
        .annotate(
            weekday=ExtractIsoWeekDay("opened_at", tzinfo=period.zone),
            hour=ExtractHour("opened_at", tzinfo=period.zone),
        )
        .order_by()
        .values_list("weekday", "hour")
        .annotate(n=Count("pk"))
    )
    for weekday, hour, n in cells:
        grid[weekday - 1][hour] = n
    return grid


@dataclass(frozen=True)
class Share:
    """A group's count and its percentage of the total (two decimals)."""

    key: Any
    label: str
    count: int
    percent: float


def _shares(groups: Iterable[tuple[Any, str, int]]) -> list[Share]:
    groups = sorted(groups, key=lambda g: (-g[2], g[1]))
    total = sum(g[2] for g in groups)
    return [
        Share(key, label, count, round(100 * count / total, 2) if total else 0.0)
        for key, label, count in groups
    ]


def report_channels(*, rows: QuerySet[Attendance], period: Period) -> list[Share]:
    """Attendances opened in the period per channel (provider), with their percentage."""
    counts = (
        rows.filter(_opened_in(period))
        .order_by()
        .values_list("provider")
        .annotate(n=Count("pk"))
        .values_list("provider", "n")
    )
    return _shares((key, provider_label(key), n) for key, n in counts)


# ----------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class QueueRow:
    """A queue's line (``queue_id`` None: attendances in no queue)."""

    queue_id: int | None
    name: str
    attendances: int
    percent: float
    closed: int
    wait: Duration
    handling: Duration
    pending_now: int
    open_now: int


def report_queues(
    *, rows: QuerySet[Attendance], period: Period, backlog: QuerySet[Ticket]
) -> list[QueueRow]:
    """Per queue (the queue now, i.e. at close for closed attendances): attendances opened in
    the period and their share, attendances closed in the period, wait (TME) and handling (TMA)
    as in ``DURATIONS``; and the backlog now (pending and open tickets). Two queries."""
    aggregates: dict[str, Aggregate] = {
        "attendances": Count("pk", filter=_opened_in(period)),
        "closed": Count("pk", filter=_closed_in(period)),
    }
    for name in ("wait", "handling"):
        aggregates.update(_duration_aggregates("", name, DURATIONS[name].over(period)))
    grouped = {
        values["queue_id"]: values
        for values in _touching(rows, period)
        .order_by()
        .values("queue_id", "queue__name")
        .annotate(**aggregates)
    }
    now = _backlog_by(backlog, "queue_id", "queue__name")
    total = sum(values["attendances"] for values in grouped.values())
    lines = []
    for queue_id in grouped.keys() | now.keys():
        values = grouped.get(queue_id, {})
        name = values.get("queue__name") or now.get(queue_id, {}).get("name") or ""
        attendances = values.get("attendances", 0)
        lines.append(
            QueueRow(
                queue_id=queue_id,
                name=name,
                attendances=attendances,
                percent=round(100 * attendances / total, 2) if total else 0.0,
                closed=values.get("closed", 0),
                wait=_duration(values, "", "wait") if values else Duration(),
                handling=_duration(values, "", "handling") if values else Duration(),
                pending_now=now.get(queue_id, {}).get("pending", 0),
                open_now=now.get(queue_id, {}).get("open", 0),
            )
        )
    return sorted(lines, key=lambda line: (-line.attendances, line.name))


@dataclass(frozen=True)
class AgentRow:
    """An agent's line (``agent_id`` None: attendances nobody holds)."""

    agent_id: int | None
    name: str
    taken: int
    closed: int
    handling: Duration
    pending_now: int
    open_now: int


def report_agents(
    *,
    rows: QuerySet[Attendance],
    period: Period,
    taken: QuerySet[TicketEvent],
    backlog: QuerySet[Ticket],
) -> list[AgentRow]:
    """Per agent: attendances taken in the period (acceptances, transfers received, reopens and
    outbound starts: the timeline entries of ``TAKEN_BY_AGENT`` dated in the period, so a ticket
    taken twice by the same agent counts twice), attendances they closed in the period (the
    agent holding it at close) with their handling time (TMA), and pending and open tickets they
    hold now. Four queries (the last reads the agents' names)."""
    aggregates = {"closed": Count("pk", filter=_closed_in(period))}
    aggregates.update(_duration_aggregates("", "handling", DURATIONS["handling"].over(period)))
    closed = {
        values["agent_id"]: values
        for values in rows.filter(_closed_in(period))
        .order_by()
        .values("agent_id")
        .annotate(**aggregates)
    }
    taken_counts = dict(
        taken.filter(created_at__gte=period.start, created_at__lt=period.end)
        .order_by()
        .values_list("taker")
        .annotate(n=Count("pk"))
        .values_list("taker", "n")
    )
    now = _backlog_by(backlog, "assignee_id", None)
    ids = closed.keys() | taken_counts.keys() | now.keys()
    names = {
        pk: name or email
        for pk, name, email in User.objects.filter(pk__in=[i for i in ids if i is not None])
        .order_by()
        .values_list("pk", "name", "email")
    }
    lines = [
        AgentRow(
            agent_id=agent_id,
            name=names.get(agent_id, "") if agent_id is not None else "",
            taken=taken_counts.get(agent_id, 0),
            closed=closed.get(agent_id, {}).get("closed", 0),
            handling=_duration(closed[agent_id], "", "handling")
            if agent_id in closed
            else Duration(),
            pending_now=now.get(agent_id, {}).get("pending", 0),
            open_now=now.get(agent_id, {}).get("open", 0),
        )
        for agent_id in ids
    ]
    return sorted(lines, key=lambda line: (-line.taken, -line.closed, line.name))


def _backlog_by(
    backlog: QuerySet[Ticket], key: str, name: str | None
) -> dict[int | None, dict[str, Any]]:
    fields = [key] + ([name] if name else [])
    result: dict[int | None, dict[str, Any]] = {}
    for values in (
        backlog.order_by()
        .values(*fields)
        .annotate(
            pending=Count("pk", filter=Q(status=Ticket.Status.PENDING)),
            open=Count("pk", filter=Q(status=Ticket.Status.OPEN)),
        )
    ):
        result[values[key]] = {
            "pending": values["pending"],
            "open": values["open"],
            "name": values.get(name or "", ""),
        }
    return result


# ----------------------------------------------------------------------------- their scopes


def taken_events_for(*, user: User, filters: ReportFilters) -> QuerySet[TicketEvent]:
    """The timeline entries in which an agent took a ticket, annotated with ``taker`` (the agent
    who took it), in the same scope as ``attendances_for``: an agent's own, the ticket visible to
    them; the dimension filters apply to the ticket as it is now."""
    taker = Case(
        When(
            kind=TicketEvent.Kind.TRANSFERRED,
            then=Cast(KT("data__to_agent__id"), IntegerField()),
        ),
        default=F("actor_id"),
        output_field=IntegerField(),
    )
    events = (
        TicketEvent.objects.filter(
            # Spelled out so PostgreSQL uses the partial index ticketevent_taken_idx.
            kind__in=["accepted", "transferred", "reopened", "created"],
            ticket__deleted_at__isnull=True,
        )
        .filter(TAKEN_BY_AGENT)
        .annotate(taker=taker)
    )
    if not user.is_admin:
        events = events.filter(taker=user.pk, ticket_id__in=tickets_visible_to(user).values("pk"))
    return events.filter(_ticket_filters(filters, prefix="ticket__", agent_field="taker"))


def backlog_for(*, user: User, filters: ReportFilters) -> QuerySet[Ticket]:
    """Pending and open tickets now, in the same scope as ``attendances_for`` (an agent: the
    tickets they hold)."""
    tickets = Ticket.objects.filter(
        deleted_at__isnull=True, status__in=[Ticket.Status.PENDING, Ticket.Status.OPEN]
    )
    if not user.is_admin:
        tickets = tickets_visible_to(user).filter(
            assignee_id=user.pk, status__in=[Ticket.Status.PENDING, Ticket.Status.OPEN]
        )
    return tickets.filter(_ticket_filters(filters, prefix="", agent_field="assignee_id"))


def _ticket_filters(filters: ReportFilters, *, prefix: str, agent_field: str) -> Q:
    condition = Q()
    if filters.queue_ids:
        condition &= Q(**{f"{prefix}queue_id__in": filters.queue_ids})
    if filters.agent_ids:
        condition &= Q(**{f"{agent_field}__in": filters.agent_ids})
    if filters.providers:
        condition &= Q(**{f"{prefix}connection__provider__in": filters.providers})
    if filters.connection_ids:
        condition &= Q(**{f"{prefix}connection_id__in": filters.connection_ids})
    if filters.tag_ids:
        condition &= Q(
            Exists(
                Contact.tags.through.objects.filter(
                    contact_id=OuterRef(f"{prefix}contact_id"), tag_id__in=filters.tag_ids
                )
            )
        )
    return condition


@dataclass(frozen=True)
class Report:
    """Everything the dashboard shows for one period."""

    period: Period
    cards: Cards
    previous: Cards
    daily: list[tuple[date, int]]
    week_hours: list[list[int]]
    channels: list[Share]
    queues: list[QueueRow]
    agents: list[AgentRow]
    generated_at: datetime | None = None


def report_build(*, user: User, filters: ReportFilters, period: Period) -> Report:
    """The whole dashboard of ``period`` for ``user``: eleven queries whatever the range."""
    rows = attendances_for(user=user, filters=filters)
    backlog = backlog_for(user=user, filters=filters)
    narrowed = not user.is_admin or filters.narrows
    cards, previous = report_cards(rows=rows, period=period, narrowed=narrowed)
    return Report(
        period=period,
        cards=cards,
        previous=previous,
        daily=report_daily(rows=rows, period=period),
        week_hours=report_week_hours(rows=rows, period=period),
        channels=report_channels(rows=rows, period=period),
        queues=report_queues(rows=rows, period=period, backlog=backlog),
        agents=report_agents(
            rows=rows,
            period=period,
            taken=taken_events_for(user=user, filters=filters),
            backlog=backlog,
        ),
    )
