"""The schedule is a pure function: pace with jitter, a start in the past paced from now,
a send window in the tenant's time zone that pauses overnight and on days off."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaigns.schedule import JITTER, SendWindow, campaign_schedule, window_from

SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # UTC-3 all year since 2019
NEW_YORK = ZoneInfo("America/New_York")  # with daylight saving time


def _gaps(times):
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]


def test_the_pace_holds_on_average_and_each_gap_is_jittered_within_bounds():
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    times = campaign_schedule(count=601, start=None, now=now, per_minute=60, rng=random.Random(1))
    gaps = _gaps(times)

    assert times[0] == now
    assert all(1 - JITTER <= gap <= 1 + JITTER for gap in gaps)
    assert len(set(gaps)) > 100  # jittered, not a fixed delay
    # 600 gaps of one second on average: the pace holds within 2 %.
    assert (times[-1] - times[0]).total_seconds() == pytest.approx(600, rel=0.02)


def test_a_start_in_the_past_is_paced_from_now_never_a_burst():
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    start = now - timedelta(hours=5)

    times = campaign_schedule(count=50, start=start, now=now, per_minute=30)

    assert times[0] == now
    assert all(gap >= 2 * (1 - JITTER) for gap in _gaps(times))


def test_a_start_in_the_future_waits_for_it():
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    start = now + timedelta(hours=2)

    times = campaign_schedule(count=3, start=start, now=now, per_minute=10)

    assert times[0] == start


def test_the_window_pauses_overnight_in_sao_paulo_time():
    # 08:00–20:00 São Paulo is 11:00–23:00 UTC. Start at 19:59:30 local (22:59:30 UTC), one a
    # minute (a gap of at least 48 s with the jitter).
    window = SendWindow(start=time(8), end=time(20), tz=SAO_PAULO)
    now = datetime(2026, 3, 3, 22, 59, 30, tzinfo=UTC)  # a Tuesday

    times = campaign_schedule(
        count=3, start=None, now=now, per_minute=1, window=window, rng=random.Random(3)
    )
    local = [t.astimezone(SAO_PAULO) for t in times]

    assert local[0] == datetime(2026, 3, 3, 19, 59, 30, tzinfo=SAO_PAULO)
    # The next would fall after 20:00: it waits for 08:00 the next morning.
    assert local[1] == datetime(2026, 3, 4, 8, 0, tzinfo=SAO_PAULO)
    assert timedelta(seconds=48) <= local[2] - local[1] <= timedelta(seconds=72)


def test_weekdays_only_skips_the_weekend():
    window = SendWindow(start=time(8), end=time(20), tz=SAO_PAULO, days=frozenset(range(5)))
    friday_night = datetime(2026, 3, 6, 21, 0, tzinfo=SAO_PAULO)

    (first,) = campaign_schedule(
        count=1,
        start=friday_night,
        now=friday_night - timedelta(days=1),
        per_minute=5,
        window=window,
    )

    assert first == datetime(2026, 3, 9, 8, 0, tzinfo=SAO_PAULO)  # Monday morning
    assert first.astimezone(SAO_PAULO).weekday() == 0


def test_a_window_across_midnight_stays_open_after_midnight():
    window = SendWindow(start=time(22), end=time(6), tz=SAO_PAULO)

    inside = datetime(2026, 3, 4, 3, 0, tzinfo=SAO_PAULO)
    after = datetime(2026, 3, 4, 7, 0, tzinfo=SAO_PAULO)

    assert window.next_open(inside) == inside
    assert window.next_open(after) == datetime(2026, 3, 4, 22, 0, tzinfo=SAO_PAULO)


def test_the_window_follows_daylight_saving_time_in_new_york():
    # 09:00 New York is 14:00 UTC in winter (EST) and 13:00 UTC after 8 March 2026 (EDT).
    window = SendWindow(start=time(9), end=time(17), tz=NEW_YORK)

    winter = window.next_open(datetime(2026, 3, 6, 12, 0, tzinfo=UTC))
    summer = window.next_open(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))

    assert winter == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    assert summer == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


def test_the_same_instant_is_inside_the_window_in_one_zone_and_outside_in_another():
    at = datetime(2026, 3, 4, 12, 30, tzinfo=UTC)  # 09:30 São Paulo, 07:30 New York
    sao_paulo = SendWindow(start=time(8), end=time(20), tz=SAO_PAULO)
    new_york = SendWindow(start=time(8), end=time(20), tz=NEW_YORK)

    assert sao_paulo.next_open(at) == at
    assert new_york.next_open(at) == datetime(2026, 3, 4, 8, 0, tzinfo=NEW_YORK)


def test_no_window_without_both_ends():
    assert window_from(start=time(8), end=None, days=[], tz=SAO_PAULO) is None
    assert window_from(start=None, end=None, days=[1], tz=SAO_PAULO) is None
    window = window_from(start=time(8), end=time(20), days=[], tz=SAO_PAULO)
    assert window is not None
    assert window.days == frozenset(range(7))
