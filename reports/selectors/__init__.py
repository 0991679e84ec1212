"""Reads of the reports domain: the per-attendance definitions (``rollup``), the period and
filters a report is asked for (``periods``), the figures themselves (``figures``), the tables
they export (``tables``), the filters' choices (``choices``) and the live panel (``live``).

The public names are re-exported here; callers may import from either.
"""

from reports.selectors.choices import FilterChoices, report_filter_choices
from reports.selectors.figures import (
    COUNTS,
    DURATIONS,
    AgentRow,
    Backlog,
    Cards,
    Duration,
    QueueRow,
    Report,
    Share,
    TimeFigure,
    attendances_for,
    backlog_now,
    report_agents,
    report_build,
    report_cards,
    report_channels,
    report_daily,
    report_local_hours,
    report_queues,
    report_week_hours,
    taken_events_for,
)
from reports.selectors.live import LiveAgent, LiveQueue, live_agents, live_queues
from reports.selectors.periods import MAX_DAYS, Period, Preset, ReportFilters, period_resolve
from reports.selectors.rollup import (
    ATTENDANCE_COLUMNS,
    TAKEN_BY_AGENT,
    attendance_rows_raw,
    attendance_values_raw,
)
from reports.selectors.tables import TABLES, report_table

__all__ = [
    "ATTENDANCE_COLUMNS",
    "COUNTS",
    "DURATIONS",
    "MAX_DAYS",
    "TABLES",
    "TAKEN_BY_AGENT",
    "AgentRow",
    "Backlog",
    "Cards",
    "Duration",
    "FilterChoices",
    "LiveAgent",
    "LiveQueue",
    "Period",
    "Preset",
    "QueueRow",
    "Report",
    "ReportFilters",
    "Share",
    "TimeFigure",
    "attendance_rows_raw",
    "attendance_values_raw",
    "attendances_for",
    "backlog_now",
    "live_agents",
    "live_queues",
    "period_resolve",
    "report_agents",
    "report_build",
    "report_cards",
    "report_channels",
    "report_daily",
    "report_filter_choices",
    "report_local_hours",
    "report_queues",
    "report_table",
    "report_week_hours",
    "taken_events_for",
]
