"""``open_seconds``: the business time between two instants, worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from automation.selectors.business_hours import Schedule
from reports.selectors.business_time import open_seconds

SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # UTC-3 all year (no DST since 2019)
NEW_YORK = ZoneInfo("America/New_York")  # DST: 8 March 2026 02:00 -> 03:00

HOUR = 3600.0
WORKDAY = [(time(8), time(12)), (time(13), time(18))]  # 9 h a day, Monday to Friday


def _schedule(zone=SAO_PAULO, holidays=(), intervals=None) -> Schedule:
    return Schedule(
        time_zone=zone,
        intervals=intervals if intervals is not None else dict.fromkeys(range(5), WORKDAY),
        holidays=frozenset(holidays),
    )


def at(text: str, zone=SAO_PAULO) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def test_no_schedule_counts_calendar_time_and_empty_spans_are_zero():
    start = at("2026-03-10 17:00")
    assert open_seconds(None, start, at("2026-03-11 09:00")) == 16 * HOUR
    assert open_seconds(_schedule(), start, start) == 0.0
    assert open_seconds(_schedule(), start, at("2026-03-10 16:00")) == 0.0


def test_inside_one_interval_and_across_lunch():
    # Tuesday 10 March 2026: 09:00-11:30 is 2.5 h; 11:00-14:00 is 1 h + (lunch) + 1 h.
    schedule = _schedule()
    assert open_seconds(schedule, at("2026-03-10 09:00"), at("2026-03-10 11:30")) == 2.5 * HOUR
    assert open_seconds(schedule, at("2026-03-10 11:00"), at("2026-03-10 14:00")) == 2 * HOUR


def test_across_a_night():
    # Tuesday 17:30 to Wednesday 08:45: 30 min before the close, 45 min after the opening.
    schedule = _schedule()
    assert open_seconds(schedule, at("2026-03-10 17:30"), at("2026-03-11 08:45")) == 75 * 60
    # The same instants given in UTC: the result does not depend on the zone they are in.
    start, end = at("2026-03-10 17:30").astimezone(UTC), at("2026-03-11 08:45").astimezone(UTC)
    assert open_seconds(schedule, start, end) == 75 * 60


def test_across_a_weekend():
    # Friday 13 March 16:00 to Monday 16 March 10:00: 2 h on Friday, none on the weekend,
    # 2 h on Monday.
    schedule = _schedule()
    assert open_seconds(schedule, at("2026-03-13 16:00"), at("2026-03-16 10:00")) == 4 * HOUR


def test_a_holiday_is_closed_all_day():
    # Wednesday 11 March is a holiday: Tuesday 17:00 to Thursday 09:00 is 1 h + 1 h.
    schedule = _schedule(holidays=[date(2026, 3, 11)])
    assert open_seconds(schedule, at("2026-03-10 17:00"), at("2026-03-12 09:00")) == 2 * HOUR
    # Without the holiday Wednesday adds its 9 h.
    assert open_seconds(_schedule(), at("2026-03-10 17:00"), at("2026-03-12 09:00")) == 11 * HOUR


def test_an_interval_until_midnight_and_a_whole_week():
    # Saturday 22:00-00:00 only; Saturday 23:00 to Sunday 01:00 is the last hour of Saturday.
    late = _schedule(intervals={5: [(time(22), time(0))]})
    assert open_seconds(late, at("2026-03-14 23:00"), at("2026-03-15 01:00")) == HOUR
    # A whole week (Monday 00:00 to the next Monday 00:00) of the workday schedule: 5 x 9 h.
    assert open_seconds(_schedule(), at("2026-03-09 00:00"), at("2026-03-16 00:00")) == 45 * HOUR


def test_a_zone_with_dst():
    # New York springs forward on Sunday 8 March 2026 at 02:00 (-> 03:00). A schedule open
    # 00:00-06:00 on Sundays lasts 5 real hours that day, 6 on the next Sunday.
    night = _schedule(zone=NEW_YORK, intervals={6: [(time(0), time(6))]})
    day_start = at("2026-03-08 00:00", NEW_YORK)
    assert open_seconds(night, day_start, at("2026-03-09 00:00", NEW_YORK)) == 5 * HOUR
    assert open_seconds(night, day_start, at("2026-03-16 00:00", NEW_YORK)) == 11 * HOUR
    # The workday intervals follow the local clock: Friday 6 March 17:00 EST (22:00 UTC) to
    # Monday 9 March 09:00 EDT (13:00 UTC) is 1 h + 1 h, though 63 real hours passed.
    work = _schedule(zone=NEW_YORK)
    start, end = datetime(2026, 3, 6, 22, tzinfo=UTC), datetime(2026, 3, 9, 13, tzinfo=UTC)
    assert open_seconds(work, start, end) == 2 * HOUR
    assert (end - start).total_seconds() == 63 * HOUR
