"""Factories of automation's models; call them inside a tenant scope."""

from __future__ import annotations

from datetime import date, time

from automation.models import BusinessHours, BusinessHoursHoliday, BusinessHoursInterval
from tickets.models import Queue


def business_hours_create(
    *,
    queue: Queue | None = None,
    intervals: dict[int, list[tuple[str, str]]],
    holidays: tuple[date, ...] = (),
    message: str = "Estamos fechados, {name}. Voltamos logo.",
    is_enabled: bool = True,
    bot_stops: bool = False,
) -> BusinessHours:
    """A schedule: ``intervals`` maps weekday (0 = Monday) to ("HH:MM", "HH:MM") pairs."""
    row = BusinessHours.objects.create(
        queue=queue,
        is_enabled=is_enabled,
        out_of_hours_message=message,
        bot_stops_out_of_hours=bot_stops,
    )
    for weekday, pairs in intervals.items():
        for opens, closes in pairs:
            BusinessHoursInterval.objects.create(
                schedule=row,
                weekday=weekday,
                opens_at=time.fromisoformat(opens),
                closes_at=time.fromisoformat(closes),
            )
    for day in holidays:
        BusinessHoursHoliday.objects.create(schedule=row, date=day, name="Feriado")
    return row


WEEKDAYS = {day: [("08:00", "12:00"), ("13:00", "18:00")] for day in range(5)}
