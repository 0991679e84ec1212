"""The figures of the reports: each defined once, here, next to its query.

Every figure reads the attendance rollup (``reports.models.Attendance``, whose timestamps are
defined in ``reports.selectors.rollup``), except the per-agent "taken" count (the timeline) and
the backlog now (the tickets themselves). Periods are whole local days of the tenant's time zone
(``Period.start`` inclusive, ``Period.end`` exclusive). Durations are in seconds; for each one
the mean, the median and the 90th percentile come from PostgreSQL (``avg``,
``percentile_cont(0.5)``, ``percentile_cont(0.9)``), over the attendances the figure names. An
empty period gives zeros, never nulls.

Each time figure has a business-hours variant (``business=True``): the same spans counting only
the seconds during which the attendance's queue was open (``reports.selectors.business_time``),
read from its own rollup column; the attendances it is measured over are the same.

The number of queries does not depend on the period: each figure is one aggregate query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncHour

from accounts.models import User
from connections.providers.registry import provider_label
from contacts.models import Contact
from reports.models import Attendance
from reports.selectors.periods import Period, ReportFilters
from reports.selectors.rollup import TAKEN_BY_AGENT
from tickets.models import Queue, Ticket, TicketEvent
from tickets.selectors import tickets_visible_to


class Percentiles(Aggregate):
    """``percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY expression)``: the median and
    the 90th percentile (continuous: interpolated between ranks) from one sort."""

    template = "PERCENTILE_CONT(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())


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


def _named_by_queue(groups: QuerySet[Any, Any]) -> list[dict[str, Any]]:
    """The rows of an aggregate grouped by ``queue_id`` (among other keys), each with its
    queue's name as ``queue__name``, in one query.

    The aggregate runs first over the rollup alone and the few groups it gives are then joined
    to the queues: joining every attendance to its queue before grouping would stop PostgreSQL
    from aggregating in index order (the backlog reads ``attendance_backlog_idx`` alone) and
    would carry the name through the sort.
    """
    inner, params = groups.query.sql_with_params()
    queue_table = Queue._meta.db_table
    # Identifiers are the models' own; every value is a bound parameter of the compiled query.
    sql = (
        f'SELECT grouped.*, queue."name" FROM ({inner}) AS grouped '  # noqa: S608
        f'LEFT JOIN "{queue_table}" AS queue ON queue."id" = grouped."queue_id"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description][:-1] + ["queue__name"]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# ----------------------------------------------------------------------------- durations


@dataclass(frozen=True)
class TimeFigure:
    """A time figure: the Attendance column of its seconds (null where it does not apply),
    whether a period counts it by the attendance's opening or its close, and its definition in
    words (the API schema shows it)."""

    column: str
    basis: str  # "opened" | "closed"
    definition: str

    @property
    def business_column(self) -> str:
        """The column of its business-hours variant."""
        return self.column.replace("_seconds", "_business_seconds")

    def over(self, period: Period) -> Q:
        return _opened_in(period) if self.basis == "opened" else _closed_in(period)


DURATIONS: dict[str, TimeFigure] = {
    "first_response": TimeFigure(
        "first_response_seconds",
        "opened",
        "First response time: the first message an agent sent to the customer (notes excluded) "
        "minus the customer's first message, over attendances opened in the period that have "
        "both.",
    ),
    "wait": TimeFigure(
        "wait_seconds",
        "opened",
        "Waiting time (TME): the first time an agent took the attendance (accepted it, received "
        "it by transfer, reopened it) minus its opening, over attendances started by the "
        "customer, opened in the period and taken; time with the bot included.",
    ),
    "bot": TimeFigure(
        "bot_seconds",
        "opened",
        "Time with the bot: the bot's last message before an agent took the attendance minus "
        "its opening, over attendances opened in the period in which the bot spoke first.",
    ),
    "handling": TimeFigure(
        "handling_seconds",
        "closed",
        "Handling time (TMA): the close minus the first time an agent took the attendance, "
        "over attendances closed in the period that an agent took.",
    ),
    "resolution": TimeFigure(
        "resolution_seconds",
        "closed",
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


def _duration_aggregates(
    name: str, condition: Q | None = None, *, business: bool = False
) -> dict[str, Aggregate]:
    """Count, mean and [median, p90] of a time figure (of the rows matching ``condition``), in
    calendar time or, ``business``, in business hours."""
    figure = DURATIONS[name]
    column = figure.business_column if business else figure.column
    return {
        f"{name}_count": Count(column, filter=condition),
        f"{name}_mean": Avg(column, filter=condition),
        f"{name}_pct": Percentiles(column, filter=condition),
    }


def _duration(values: dict[str, Any], name: str) -> Duration:
    if not values or not values.get(f"{name}_count"):
        return Duration()
    median, p90 = values[f"{name}_pct"]
    return Duration(
        count=values[f"{name}_count"], mean=values[f"{name}_mean"], median=median, p90=p90
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
    *, rows: QuerySet[Attendance], period: Period, narrowed: bool, business: bool = False
) -> tuple[Cards, Cards]:
    """The cards of ``period`` and of the period just before it, in three queries: the
    figures counted by opening, those counted by close (``TimeFigure.basis``), new contacts.

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
    current = Case(When(Q(opened_at__gte=period.start), then=True), default=False)
    opened: dict[str, Aggregate] = {
        "attendances": Count("pk"),
        "active": Count("pk", filter=Q(is_outbound=True)),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
    }
    closed: dict[str, Aggregate] = {}
    for name, figure in DURATIONS.items():
        aggregates = _duration_aggregates(name, business=business)
        (opened if figure.basis == "opened" else closed).update(aggregates)
    by_opening: dict[bool, dict[str, Any]] = {
        values["current"]: dict(values)
        for values in rows.filter(opened_at__gte=previous.start, opened_at__lt=period.end)
        .annotate(current=current)
        .order_by()
        .values("current")
        .annotate(**opened)
    }
    current = Case(When(Q(closed_at__gte=period.start), then=True), default=False)
    by_close: dict[bool, dict[str, Any]] = {
        values["current"]: dict(values)
        for values in rows.filter(closed_at__gte=previous.start, closed_at__lt=period.end)
        .annotate(current=current)
        .order_by()
        .values("current")
        .annotate(**closed)
    }
    contacts = _new_contacts(rows=rows, period=period, previous=previous, narrowed=narrowed)

    def cards(key: bool, prefix: str) -> Cards:
        counts: dict[str, Any] = by_opening.get(key, {})
        values = {**counts, **by_close.get(key, {})}
        attendances = counts.get("attendances", 0)
        active = counts.get("active", 0)
        return Cards(
            attendances=attendances,
            active=active,
            receptive=attendances - active,
            new_contacts=contacts[f"{prefix}contacts"],
            reopened=counts.get("reopened", 0),
            first_response=_duration(values, "first_response"),
            wait=_duration(values, "wait"),
            bot=_duration(values, "bot"),
            handling=_duration(values, "handling"),
            resolution=_duration(values, "resolution"),
        )

    return cards(True, "cur_"), cards(False, "prev_")


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


def report_local_hours(*, rows: QuerySet[Attendance], period: Period) -> list[tuple[datetime, int]]:
    """Attendances opened in the period per local hour (wall clock of the period's zone): what
    the daily series and the hour-of-week grid are summed from, in one query that converts
    each opening to local time once."""
    return list(
        rows.filter(_opened_in(period))
        .annotate(hour=TruncHour("opened_at", tzinfo=period.zone))
        .order_by()
        .values_list("hour")
        .annotate(n=Count("pk"))
        .values_list("hour", "n")
    )


def report_daily(*, hours: list[tuple[datetime, int]], period: Period) -> list[tuple[date, int]]:
    """Attendances opened per local day of the period, every day present (zero-filled)."""
    counts: dict[date, int] = {}
    for hour, n in hours:
        day = hour.astimezone(period.zone).date()
        counts[day] = counts.get(day, 0) + n
    return [(day, counts.get(day, 0)) for day in period.dates()]


def report_week_hours(*, hours: list[tuple[datetime, int]], period: Period) -> list[list[int]]:
    """Attendances opened per local weekday (Monday first) and hour: 7 lists of 24 counts."""
    grid = [[0] * 24 for _ in range(7)]
    for hour, n in hours:
        local = hour.astimezone(period.zone)
        grid[local.isoweekday() - 1][local.hour] += n
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
    *, rows: QuerySet[Attendance], period: Period, now: Backlog, business: bool = False
) -> list[QueueRow]:
    """Per queue (the queue now, i.e. at close for closed attendances): attendances opened in
    the period and their share, attendances closed in the period, wait (TME) and handling (TMA)
    as in ``DURATIONS``; and the backlog ``now``. One query."""
    aggregates: dict[str, Aggregate] = {
        "attendances": Count("pk", filter=_opened_in(period)),
        "closed": Count("pk", filter=_closed_in(period)),
    }
    for name in ("wait", "handling"):
        aggregates.update(
            _duration_aggregates(name, DURATIONS[name].over(period), business=business)
        )
    grouped: dict[int | None, dict[str, Any]] = {
        values["queue_id"]: values
        for values in _named_by_queue(
            _touching(rows, period).order_by().values("queue_id").annotate(**aggregates)
        )
    }
    by_queue = now.by_queue()
    total = sum(values["attendances"] for values in grouped.values())
    lines = []
    for queue_id in grouped.keys() | by_queue.keys():
        values: dict[str, Any] = grouped.get(queue_id, {})
        name = values.get("queue__name") or by_queue.get(queue_id, {}).get("name") or ""
        attendances = values.get("attendances", 0)
        lines.append(
            QueueRow(
                queue_id=queue_id,
                name=name,
                attendances=attendances,
                percent=round(100 * attendances / total, 2) if total else 0.0,
                closed=values.get("closed", 0),
                wait=_duration(values, "wait"),
                handling=_duration(values, "handling"),
                pending_now=by_queue.get(queue_id, {}).get("pending", 0),
                open_now=by_queue.get(queue_id, {}).get("open", 0),
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
    now: Backlog,
    business: bool = False,
) -> list[AgentRow]:
    """Per agent: attendances taken in the period (acceptances, transfers received, reopens and
    outbound starts: the timeline entries of ``TAKEN_BY_AGENT`` dated in the period, so a ticket
    taken twice by the same agent counts twice), attendances they closed in the period (the
    agent holding it at close) with their handling time (TMA), and pending and open tickets they
    hold now (``now``). Three queries (the last reads the agents' names)."""
    closed: dict[int | None, dict[str, Any]] = {
        values["agent_id"]: dict(values)
        for values in rows.filter(_closed_in(period))
        .order_by()
        .values("agent_id")
        .annotate(closed=Count("pk"), **_duration_aggregates("handling", business=business))
    }
    taken_counts: dict[int | None, int] = dict(
        taken.filter(created_at__gte=period.start, created_at__lt=period.end)
        .order_by()
        .values_list("taker")  # type: ignore[misc]  # an annotation the stubs cannot see
        .annotate(n=Count("pk"))
        .values_list("taker", "n")
    )
    by_agent = now.by_agent()
    ids = closed.keys() | taken_counts.keys() | by_agent.keys()
    names: dict[int | None, str] = {
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
            handling=_duration(closed.get(agent_id, {}), "handling"),
            pending_now=by_agent.get(agent_id, {}).get("pending", 0),
            open_now=by_agent.get(agent_id, {}).get("open", 0),
        )
        for agent_id in ids
    ]
    return sorted(lines, key=lambda line: (-line.taken, -line.closed, line.name))


@dataclass(frozen=True)
class Backlog:
    """Pending and open tickets now, counted per (queue, agent holding them)."""

    cells: list[dict[str, Any]]

    def _by(self, key: str) -> dict[int | None, dict[str, Any]]:
        result: dict[int | None, dict[str, Any]] = {}
        for cell in self.cells:
            line = result.setdefault(
                cell[key], {"pending": 0, "open": 0, "name": cell["queue__name"] or ""}
            )
            line["pending"] += cell["pending"]
            line["open"] += cell["open"]
        return result

    def by_queue(self) -> dict[int | None, dict[str, Any]]:
        return self._by("queue_id")

    def by_agent(self) -> dict[int | None, dict[str, Any]]:
        return self._by("assignee_id")


def backlog_now(rows: QuerySet[Attendance]) -> Backlog:
    """Pending and open attendances now among ``rows`` (``attendances_for``: the same scope and
    filters as every other figure), per queue and agent, in one query. Read from the rollup, so
    a change shows once its refresh task has run (seconds)."""
    return Backlog(
        cells=_named_by_queue(
            rows.filter(status__in=[Ticket.Status.PENDING, Ticket.Status.OPEN])
            .order_by()
            .values("queue_id", assignee_id=F("agent_id"))
            .annotate(
                pending=Count("pk", filter=Q(status=Ticket.Status.PENDING)),
                open=Count("pk", filter=Q(status=Ticket.Status.OPEN)),
            )
        )
    )


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
        )
        # Not a join on every ticket: the few deleted ones come from ticket_deleted_idx.
        .exclude(ticket_id__in=Ticket.objects.filter(deleted_at__isnull=False).values("pk"))
        .filter(TAKEN_BY_AGENT)
        .annotate(taker=taker)
    )
    if not user.is_admin:
        events = events.filter(taker=user.pk, ticket_id__in=tickets_visible_to(user).values("pk"))
    return events.filter(_ticket_filters(filters, prefix="ticket__", agent_field="taker"))


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
    business: bool = False


def report_build(
    *, user: User, filters: ReportFilters, period: Period, business: bool = False
) -> Report:
    """The whole dashboard of ``period`` for ``user``: ten queries whatever the range; its time
    figures in business hours when ``business``."""
    rows = attendances_for(user=user, filters=filters)
    now = backlog_now(rows)
    narrowed = not user.is_admin or filters.narrows
    cards, previous = report_cards(rows=rows, period=period, narrowed=narrowed, business=business)
    hours = report_local_hours(rows=rows, period=period)
    return Report(
        period=period,
        cards=cards,
        previous=previous,
        daily=report_daily(hours=hours, period=period),
        week_hours=report_week_hours(hours=hours, period=period),
        channels=report_channels(rows=rows, period=period),
        queues=report_queues(rows=rows, period=period, now=now, business=business),
        agents=report_agents(
            rows=rows,
            period=period,
            taken=taken_events_for(user=user, filters=filters),
            now=now,
            business=business,
        ),
        business=business,
    )
