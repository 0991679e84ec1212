"""Business hours as the rest of the code reads them: the schedule that applies to a queue's
tickets, whether it is open at a moment, and when its closed period ends.

Times are the tenant's wall-clock times (``Tenant.time_zone``): a moment is converted to that
zone before its weekday and time are looked at, whatever the server's zone or the provider's
timestamp unit (the pipeline hands aware datetimes to ``message_receive``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from automation.models import BusinessHours
from tenants.tenancy import current_tenant

# How far ahead "when does it open again" looks: a schedule closed for longer has no next
# opening (its notice is then sent once per ticket).
LOOKAHEAD_DAYS = 370
MIDNIGHT = time(0, 0)
# The name of a closed period without a next opening.
NEVER = "never"


@dataclass(frozen=True)
class Schedule:
    """An enabled schedule, loaded once: intervals per weekday (0 = Monday), holidays, the
    time zone and the out-of-hours message."""

    time_zone: ZoneInfo
    intervals: dict[int, list[tuple[time, time]]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    message: str = ""
    stops_bot: bool = False

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(self.time_zone)

    def is_open(self, at: datetime) -> bool:
        """Open at ``at``: not a holiday, and inside one of the weekday's intervals."""
        local = self._local(at)
        if local.date() in self.holidays:
            return False
        now = local.time().replace(tzinfo=None)
        for opens, closes in self.intervals.get(local.weekday(), []):
            if opens <= now and (closes == MIDNIGHT or now < closes):
                return True
        return False

    def next_opening(self, at: datetime) -> datetime | None:
        """The first moment after ``at`` at which an interval opens (None within a year)."""
        local = self._local(at)
        for offset in range(LOOKAHEAD_DAYS):
            day = local.date() + timedelta(days=offset)
            if day in self.holidays:
                continue
            for opens, _closes in self.intervals.get(day.weekday(), []):
                candidate = datetime.combine(day, opens, tzinfo=self.time_zone)
                if candidate > local:
                    return candidate
        return None

    def closed_period(self, at: datetime) -> str | None:
        """The closed period ``at`` falls in, named by its end (the next opening, ISO 8601,
        or ``never``); None when open."""
        if self.is_open(at):
            return None
        opening = self.next_opening(at)
        return opening.isoformat() if opening is not None else NEVER


def _schedule_from(row: BusinessHours) -> Schedule:
    intervals: dict[int, list[tuple[time, time]]] = {}
    for interval in row.intervals.all():
        intervals.setdefault(interval.weekday, []).append((interval.opens_at, interval.closes_at))
    for day in intervals.values():
        day.sort()
    return Schedule(
        time_zone=ZoneInfo(current_tenant().time_zone),
        intervals=intervals,
        holidays=frozenset(h.date for h in row.holidays.all()),
        message=row.out_of_hours_message.strip(),
        stops_bot=row.bot_stops_out_of_hours,
    )


def business_hours_rows() -> dict[int | None, BusinessHours]:
    """Every schedule of the tenant by queue id (None: the tenant's), with their intervals and
    holidays (three queries)."""
    rows = BusinessHours.objects.prefetch_related("intervals", "holidays")
    return {row.queue_id: row for row in rows}


def schedule_for_queue(
    *, queue_id: int | None, rows: dict[int | None, BusinessHours] | None = None
) -> Schedule | None:
    """The schedule a queue's tickets follow: the queue's own when it has one, else the
    tenant's; None when that one is disabled or missing (always open)."""
    rows = business_hours_rows() if rows is None else rows
    row = rows.get(queue_id) if queue_id is not None and queue_id in rows else rows.get(None)
    if row is None or not row.is_enabled:
        return None
    return _schedule_from(row)


@dataclass(frozen=True)
class BotPause:
    """The bot is stopped: the closed period it is in and when that ends (None: not within
    a year)."""

    period: str
    until: datetime | None


def bot_pause(*, queue_id: int | None, at: datetime) -> BotPause | None:
    """Whether the schedule of a queue's tickets stops the chatbot at ``at`` (closed, and its
    admin chose to stop the bot out of hours); by default the bot runs out of hours too."""
    schedule = schedule_for_queue(queue_id=queue_id)
    if schedule is None or not schedule.stops_bot:
        return None
    period = schedule.closed_period(at)
    if period is None:
        return None
    return BotPause(period=period, until=schedule.next_opening(at))


def queues_open_at(*, queue_ids: list[int], at: datetime) -> dict[int, bool]:
    """Whether each queue is open at ``at`` (the inbox shows it), in three queries."""
    rows = business_hours_rows()
    result: dict[int, bool] = {}
    for queue_id in queue_ids:
        schedule = schedule_for_queue(queue_id=queue_id, rows=rows)
        result[queue_id] = schedule is None or schedule.is_open(at)
    return result


def business_hours_get(*, queue_id: int | None = None) -> BusinessHours | None:
    """The tenant's schedule (``queue_id`` None) or a queue's own, with its rows."""
    scope = Q(queue__isnull=True) if queue_id is None else Q(queue_id=queue_id)
    return BusinessHours.objects.prefetch_related("intervals", "holidays").filter(scope).first()
