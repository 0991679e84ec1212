"""The business-hours variants of the time figures, on the hand-built stories: the tenant's
schedule is Monday to Friday 08:00-12:00 and 13:00-18:00 (Sao Paulo); Q2 has its own schedule,
disabled, so its attendances are always open (business time = calendar time)."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from automation.tests.factories import WEEKDAYS, business_hours_create
from reports.models import Attendance
from reports.selectors import Duration, ReportFilters, report_build
from reports.selectors.business_time import (
    BUSINESS_COLUMNS,
    QueueSchedules,
    business_hours_enabled,
    business_seconds,
)
from reports.services import attendances_refresh
from reports.tests.fixtures import PERIOD
from reports.tests.stories import Story, local
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory, QueueFactory


@pytest.fixture
def scheduled(team, stories):
    business_hours_create(intervals=WEEKDAYS)
    business_hours_create(queue=team["q2"], intervals=WEEKDAYS, is_enabled=False)
    attendances_refresh()
    return stories


def _columns(ticket) -> dict:
    return Attendance.objects.filter(ticket_id=ticket.pk).values(*BUSINESS_COLUMNS).get()


def test_the_rollup_holds_the_open_seconds_of_each_span(team, scheduled):
    # T1: 23:50 on Tuesday to 00:40 on Wednesday, all while closed.
    assert _columns(scheduled[1]) == {
        "first_response_business_seconds": 0.0,
        "wait_business_seconds": 0.0,
        "bot_business_seconds": None,  # the bot never spoke
        "handling_business_seconds": 0.0,
        "resolution_business_seconds": 0.0,
    }
    # T4: 08:00-10:00 on Tuesday, all while open: the calendar figures.
    row = Attendance.objects.get(ticket_id=scheduled[4].pk)
    assert (row.wait_business_seconds, row.handling_business_seconds) == (1800, 5400)
    assert row.resolution_business_seconds == row.resolution_seconds == 7200
    # T9-like: opened Tuesday 17:30, taken Wednesday 08:45, answered 08:50, closed 12:30.
    late = (
        Story(connection=team["telegram"], queue=team["q1"], opened=local("2026-03-10 17:30"))
        .inbound(local("2026-03-10 17:30"))
        .accept(team["a"], local("2026-03-11 08:45"))
        .reply(team["a"], local("2026-03-11 08:50"))
        .close(team["a"], local("2026-03-11 12:30"))
        .done()
    )
    attendances_refresh(ticket_ids=[late.pk])
    assert _columns(late) == {
        "first_response_business_seconds": 80 * 60.0,  # 30 min Tuesday + 50 min Wednesday
        "wait_business_seconds": 75 * 60.0,  # 30 + 45 min (calendar: 15 h 15 min)
        "bot_business_seconds": None,
        "handling_business_seconds": 195 * 60.0,  # 08:45-12:00; lunch from 12:00 is closed
        "resolution_business_seconds": 270 * 60.0,  # 30 min + 4 h
    }
    # An outbound attendance in Q2 (schedule disabled): no wait; first response = calendar.
    t5 = Attendance.objects.get(ticket_id=scheduled[5].pk)
    assert (t5.wait_business_seconds, t5.first_response_business_seconds) == (None, 60)


def test_the_rollup_equals_the_raw_computation(team, scheduled):
    schedules = QueueSchedules()
    rows = Attendance.objects.order_by("ticket_id").values()
    for values in rows:
        expected = business_seconds(values, schedules(values["queue_id"]))
        assert {c: values[c] for c in BUSINESS_COLUMNS} == expected


def test_the_cards_in_business_hours(team, scheduled):
    report = report_build(user=team["admin"], filters=ReportFilters(), period=PERIOD, business=True)
    cards = report.cards
    # Wait: T1 0 (at night), T2 1200, T3 600, T4 1800 -> mean 900, median (600 + 1200) / 2,
    # p90 at rank 2.7: 1200 + 0.7 * 600 = 1620.
    assert cards.wait == Duration(count=4, mean=900, median=900, p90=pytest.approx(1620))
    # First response: T1 0, T2 1800, T3 720, T4 1860, T5 60 -> mean 4440 / 5 = 888, median
    # 720, p90 at rank 3.6: 1800 + 0.6 * 60 = 1836.
    assert cards.first_response == Duration(count=5, mean=888, median=720, p90=pytest.approx(1836))
    # Handling (closed in the period): T1 0, T3 3600, T4 5400, T8 0 (23:40-00:30) -> mean
    # 2250, median 1800, p90 3600 + 0.7 * 1800 = 4860.
    assert cards.handling == Duration(count=4, mean=2250, median=1800, p90=pytest.approx(4860))
    # Resolution: T1 0, T3 4200, T4 7200, T8 0 -> mean 2850, median 2100, p90 6300.
    assert cards.resolution == Duration(count=4, mean=2850, median=2100, p90=pytest.approx(6300))
    assert cards.bot == Duration(count=1, mean=300, median=300, p90=300)
    # The tables too: Q1's handling, A's handling (T1 0, T4 5400, T8 0).
    q1 = next(line for line in report.queues if line.queue_id == team["q1"].pk)
    assert q1.handling.mean == 2250
    ana = next(line for line in report.agents if line.agent_id == team["a"].pk)
    assert (ana.handling.count, ana.handling.mean) == (3, 1800)
    # Calendar time is unchanged by the schedule.
    calendar = report_build(user=team["admin"], filters=ReportFilters(), period=PERIOD)
    assert calendar.cards.handling.mean == 3450


def test_a_tenant_without_schedule_has_business_equal_to_calendar(in_alpha, beta, scheduled):
    assert business_hours_enabled()
    with tenant_scope(beta.tenant):
        assert not business_hours_enabled()
        queue = QueueFactory()
        agent = UserFactory(queues=[queue])
        ticket = (
            Story(connection=ConnectionFactory(), queue=queue, opened=local("2026-03-10 23:50"))
            .inbound(local("2026-03-10 23:50"))
            .accept(agent, local("2026-03-11 00:10"))
            .close(agent, local("2026-03-11 00:40"))
            .done()
        )
        attendances_refresh()
        row = Attendance.objects.get(ticket_id=ticket.pk)
        assert Attendance.objects.count() == 1  # alpha's rows are not here
    # The same night as alpha's T1, counted in full: beta has no schedule.
    assert (row.wait_business_seconds, row.wait_seconds) == (1200, 1200)
    assert row.resolution_business_seconds == row.resolution_seconds == 3000
