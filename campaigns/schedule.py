"""When each message of a campaign goes: pure functions, no database.

The pace is ``per_minute`` messages a minute, each gap jittered by up to ``JITTER`` either way
(the mean stays the pace). The first message goes at the start, or now when the start is in the
past, so a late start is paced from now and never bursts. With a send window (a daily interval
on some weekdays, in the tenant's time zone; an end before the start spans midnight), a time
outside it moves to the window's next opening: the campaign pauses overnight and on the days it
may not send.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

JITTER = 0.2
ALL_DAYS = frozenset(range(7))


@dataclass(frozen=True)
class SendWindow:
    """Daily ``start``–``end`` on ``days`` (0 = Monday) in ``tz``; ``end <= start`` spans
    midnight (the night belongs to the day it opened)."""

    start: time
    end: time
    tz: ZoneInfo
    days: frozenset[int] = ALL_DAYS

    def _interval(self, day: date) -> tuple[datetime, datetime]:
        opens = datetime.combine(day, self.start, tzinfo=self.tz)
        closes_day = day if self.end > self.start else day + timedelta(days=1)
        return opens, datetime.combine(closes_day, self.end, tzinfo=self.tz)

    def next_open(self, at: datetime) -> datetime:
        """``at`` when the window is open then, else the next moment it opens."""
        local_day = at.astimezone(self.tz).date()
        for offset in range(-1, 9):
            day = local_day + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            opens, closes = self._interval(day)
            if at < closes and opens < closes:
                return max(at, opens)
        raise ValueError("a send window needs at least one day")


def campaign_schedule(
    *,
    count: int,
    start: datetime | None,
    now: datetime,
    per_minute: int,
    window: SendWindow | None = None,
    rng: random.Random | None = None,
) -> list[datetime]:
    """The due time of each of ``count`` messages, in order (aware datetimes)."""
    rng = rng or random.Random()  # noqa: S311 - spacing, not secrecy
    gap = 60.0 / per_minute
    at = max(start, now) if start is not None else now
    times: list[datetime] = []
    for _ in range(count):
        if window is not None:
            at = window.next_open(at)
        times.append(at)
        at += timedelta(seconds=gap * rng.uniform(1 - JITTER, 1 + JITTER))
    return times


def window_from(
    *, start: time | None, end: time | None, days: Iterable[int], tz: ZoneInfo
) -> SendWindow | None:
    """The campaign's window, or None when it may send around the clock."""
    if start is None or end is None or start == end:
        return None
    chosen = frozenset(int(d) for d in days) or ALL_DAYS
    return SendWindow(start=start, end=end, tz=tz, days=chosen)
