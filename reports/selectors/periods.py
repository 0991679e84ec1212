"""The period and filters a report is asked for, in the tenant's time zone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from reports.errors import InvalidPeriod, PeriodTooLong

MAX_DAYS = 400


class Preset(TextChoices):
    TODAY = "today", _("Today")
    LAST_7_DAYS = "7d", _("Last 7 days")
    LAST_30_DAYS = "30d", _("Last 30 days")
    THIS_MONTH = "month", _("This month")
    CUSTOM = "custom", _("Custom")


@dataclass(frozen=True)
class Period:
    """Whole local days ``first``..``last`` (inclusive) in ``zone``."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first instant of ``first`` in the zone: its local midnight, in UTC (so that
        differences between bounds are real durations across a DST change too)."""
        return datetime.combine(self.first, time.min, tzinfo=self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after ``last`` (exclusive bound), in UTC."""
        next_day = self.last + timedelta(days=1)
        return datetime.combine(next_day, time.min, tzinfo=self.zone).astimezone(UTC)

    def previous(self) -> Period:
        """The period of the same number of days just before this one."""
        return Period(
            first=self.first - timedelta(days=self.days),
            last=self.first - timedelta(days=1),
            zone=self.zone,
        )

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


def period_resolve(
    *,
    preset: str,
    zone: ZoneInfo,
    today: date,
    first: date | None = None,
    last: date | None = None,
) -> Period:
    """The period a preset means on ``today`` (a local date); ``custom`` takes both dates."""
    if preset == Preset.TODAY:
        return Period(today, today, zone)
    if preset == Preset.LAST_7_DAYS:
        return Period(today - timedelta(days=6), today, zone)
    if preset == Preset.LAST_30_DAYS:
        return Period(today - timedelta(days=29), today, zone)
    if preset == Preset.THIS_MONTH:
        return Period(today.replace(day=1), today, zone)
    if first is None or last is None or last < first:
        raise InvalidPeriod(extra={"fields": {"start": first, "end": last}})
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodTooLong(extra={"max_days": MAX_DAYS})
    return Period(first, last, zone)


@dataclass(frozen=True)
class ReportFilters:
    """Dimensions to narrow a report to; empty means all."""

    queue_ids: Sequence[int] = field(default=())
    agent_ids: Sequence[int] = field(default=())
    providers: Sequence[str] = field(default=())
    tag_ids: Sequence[int] = field(default=())
    connection_ids: Sequence[int] = field(default=())

    @property
    def narrows(self) -> bool:
        """Whether any filter is set."""
        return any(
            (self.queue_ids, self.agent_ids, self.providers, self.tag_ids, self.connection_ids)
        )
