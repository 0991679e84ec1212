"""Business time: how much of a span fell inside a schedule's open hours.

The business-hours variant of each time figure (``reports.selectors.figures.DURATIONS``)
counts only the seconds during which the attendance's queue was open: its own schedule, else
the tenant's (``automation.selectors.business_hours.schedule_for_queue``). A queue without an
enabled schedule is always open, so its business time equals its calendar time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from automation.models import BusinessHours
from automation.selectors.business_hours import (
    MIDNIGHT,
    Schedule,
    business_hours_rows,
    schedule_for_queue,
)


def open_seconds(schedule: Schedule | None, start: datetime, end: datetime) -> float:
    """The seconds between the instants ``start`` and ``end`` during which ``schedule`` was open
    (0 when ``end`` is not after ``start``; ``end - start`` when there is no schedule).

    Each local day of the span (the schedule's zone) that is not a holiday contributes the
    overlap of its intervals with the span; an interval closing at 00:00 runs to the next local
    midnight. Wall-clock bounds are turned into instants before subtracting, so an interval on a
    day the clocks change lasts what it really lasted (08:00-12:00 on a spring-forward day
    crossing 02:00 is an hour shorter).
    """
    if end <= start:
        return 0.0
    if schedule is None:
        return (end - start).total_seconds()
    zone = schedule.time_zone
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    total = 0.0
    while day <= last:
        if day not in schedule.holidays:
            for opens, closes in schedule.intervals.get(day.weekday(), ()):
                close_day = day + timedelta(days=1) if closes == MIDNIGHT else day
                begin = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
                finish = datetime.combine(close_day, closes, tzinfo=zone).astimezone(UTC)
                overlap = (min(finish, end_utc) - max(begin, start_utc)).total_seconds()
                if overlap > 0:
                    total += overlap
        day += timedelta(days=1)
    return total


# Each business-hours column of an Attendance row and the span it measures: (start, end)
# timestamps, as the calendar figure's generated column (reports.models.Attendance).
BUSINESS_SPANS: dict[str, tuple[str, str]] = {
    "first_response_business_seconds": ("first_inbound_at", "first_response_at"),
    "wait_business_seconds": ("opened_at", "first_accepted_at"),
    "bot_business_seconds": ("opened_at", "bot_handover_at"),
    "handling_business_seconds": ("first_accepted_at", "closed_at"),
    "resolution_business_seconds": ("opened_at", "closed_at"),
}
BUSINESS_COLUMNS = tuple(BUSINESS_SPANS)


def business_seconds(
    values: Mapping[str, Any], schedule: Schedule | None
) -> dict[str, float | None]:
    """The business-hours columns of one attendance (``values``: its Attendance timestamps and
    ``is_outbound``) under ``schedule``: null where the calendar figure is null (a missing
    timestamp; the wait of an attendance an agent started)."""
    result: dict[str, float | None] = {}
    for column, (start_name, end_name) in BUSINESS_SPANS.items():
        start, end = values.get(start_name), values.get(end_name)
        applies = not (column == "wait_business_seconds" and values.get("is_outbound"))
        result[column] = open_seconds(schedule, start, end) if applies and start and end else None
    return result


class QueueSchedules:
    """The schedule each queue's attendances follow, loaded once (three queries) and resolved
    per queue on first use (``schedule_for_queue``)."""

    def __init__(self) -> None:
        self._rows = business_hours_rows()
        self._by_queue: dict[int | None, Schedule | None] = {}

    @property
    def any_enabled(self) -> bool:
        """Whether the tenant has any enabled schedule (else business time is calendar time)."""
        return any(row.is_enabled for row in self._rows.values())

    def __call__(self, queue_id: int | None) -> Schedule | None:
        if queue_id not in self._by_queue:
            self._by_queue[queue_id] = schedule_for_queue(queue_id=queue_id, rows=self._rows)
        return self._by_queue[queue_id]


def business_hours_enabled() -> bool:
    """Whether the tenant has an enabled schedule (its own or a queue's): only then do reports
    offer the business-hours variants."""
    return BusinessHours.objects.filter(is_enabled=True).exists()
