"""Periods are whole local days of the tenant's zone, also across a DST change: in
America/New_York, 8 March 2026 has 23 hours (02:00 EST jumps to 03:00 EDT)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from accounts.tests.factories import AdminFactory
from reports.errors import InvalidPeriod, PeriodTooLong
from reports.selectors import Period, ReportFilters, period_resolve, report_build
from reports.services import attendances_refresh
from reports.tests.stories import NEW_YORK, SAO_PAULO, Story, local
from tickets.tests.factories import ConnectionFactory, QueueFactory


def test_a_dst_day_is_23_hours_long_and_bounded_by_local_midnights():
    day = Period(date(2026, 3, 8), date(2026, 3, 8), NEW_YORK)
    assert day.start == datetime(2026, 3, 8, 5, tzinfo=UTC)  # EST, UTC-5
    assert day.end == datetime(2026, 3, 9, 4, tzinfo=UTC)  # EDT, UTC-4
    assert (day.end - day.start).total_seconds() == 23 * 3600


def test_figures_across_the_dst_change(in_alpha):
    admin, queue, connection = AdminFactory(), QueueFactory(), ConnectionFactory()

    def story(opened: str) -> Story:
        return Story(connection=connection, queue=queue, opened=local(opened, NEW_YORK))

    # Opened 01:30 EST (06:30 UTC), accepted 03:30 EDT (07:30 UTC): the wall clock says two
    # hours, the wait is ONE hour.
    story("2026-03-08 01:30").accept(admin, local("2026-03-08 03:30", NEW_YORK)).done()
    # 23:30 EDT on the 8th is 03:30 UTC on the 9th: still the 8th.
    story("2026-03-08 23:30").done()
    # 00:30 EDT on the 9th is 04:30 UTC: a fixed UTC-5 offset would put it on the 8th.
    story("2026-03-09 00:30").done()
    attendances_refresh()

    period = Period(date(2026, 3, 8), date(2026, 3, 9), NEW_YORK)
    report = report_build(user=admin, filters=ReportFilters(), period=period)
    assert report.cards.wait.mean == 3600
    assert report.daily == [(date(2026, 3, 8), 2), (date(2026, 3, 9), 1)]
    sunday, monday = report.week_hours[6], report.week_hours[0]
    assert (sunday[1], sunday[23], monday[0]) == (1, 1, 1)
    # The same attendances seen from Sao Paulo (UTC-3 all year) fall on other local days.
    from_sao_paulo = report_build(
        user=admin, filters=ReportFilters(), period=Period(period.first, period.last, SAO_PAULO)
    )
    assert from_sao_paulo.daily == [(date(2026, 3, 8), 1), (date(2026, 3, 9), 2)]


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("today", date(2026, 3, 15), date(2026, 3, 15)),
        ("7d", date(2026, 3, 9), date(2026, 3, 15)),
        ("30d", date(2026, 2, 14), date(2026, 3, 15)),
        ("month", date(2026, 3, 1), date(2026, 3, 15)),
    ],
)
def test_presets_end_today_in_the_tenant_zone(preset, first, last):
    period = period_resolve(preset=preset, zone=SAO_PAULO, today=date(2026, 3, 15))
    assert (period.first, period.last) == (first, last)
    assert period.previous().last == date.fromordinal(first.toordinal() - 1)


def test_a_custom_period_needs_two_ordered_dates_and_at_most_400_days():
    def custom(first, last):
        return period_resolve(
            preset="custom", zone=SAO_PAULO, today=date(2026, 3, 15), first=first, last=last
        )

    assert custom(date(2026, 1, 1), date(2026, 1, 31)).days == 31
    with pytest.raises(InvalidPeriod):
        custom(date(2026, 2, 1), date(2026, 1, 31))
    with pytest.raises(InvalidPeriod):
        custom(None, date(2026, 1, 31))
    with pytest.raises(PeriodTooLong):
        custom(date(2025, 1, 1), date(2026, 3, 1))
