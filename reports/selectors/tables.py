"""The report's tables as rows of plain cells: what the CSV export and the page's table views
show (durations in seconds, rounded)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from reports.selectors.figures import Duration, Report

TABLES = ("daily", "hours", "channels", "queues", "agents")


def _duration(value: Duration) -> list[Any]:
    return [round(value.mean), round(value.median), round(value.p90)]


def _duration_header(name: str) -> list[str]:
    return [
        _("%(figure)s mean (s)") % {"figure": name},
        _("%(figure)s median (s)") % {"figure": name},
        _("%(figure)s p90 (s)") % {"figure": name},
    ]


def report_table(report: Report, name: str) -> tuple[list[str], Iterator[list[Any]]]:
    """(header, rows) of one of ``TABLES``; ``KeyError`` for another name."""
    if name == "daily":
        return [_("Day"), _("Attendances")], ([day.isoformat(), n] for day, n in report.daily)
    if name == "hours":
        return [_("Weekday"), *[f"{hour:02d}h" for hour in range(24)]], (
            [weekday, *counts] for weekday, counts in enumerate(report.week_hours, start=1)
        )
    if name == "channels":
        return [_("Channel"), _("Attendances"), "%"], (
            [share.label, share.count, share.percent] for share in report.channels
        )
    if name == "queues":
        header = [_("Queue"), _("Attendances"), "%", _("Closed")]
        header += _duration_header(_("Wait")) + _duration_header(_("Handling"))
        header += [_("Pending now"), _("Open now")]
        return header, (
            [
                row.name or _("No queue"),
                row.attendances,
                row.percent,
                row.closed,
                *_duration(row.wait),
                *_duration(row.handling),
                row.pending_now,
                row.open_now,
            ]
            for row in report.queues
        )
    if name == "agents":
        header = [_("Agent"), _("Taken"), _("Closed"), *_duration_header(_("Handling"))]
        header += [_("Pending now"), _("Open now")]
        return header, (
            [
                row.name or _("Unassigned"),
                row.taken,
                row.closed,
                *_duration(row.handling),
                row.pending_now,
                row.open_now,
            ]
            for row in report.agents
        )
    raise KeyError(name)
