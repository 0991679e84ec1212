"""Every figure of the dashboard against attendances built by hand, with the expected numbers
worked out in the comments: a ticket spanning midnight in America/Sao_Paulo (UTC-3, no DST), a
bot hand-over, a transfer, a reopened ticket, an outbound (active) attendance, a ticket opened
in the previous period and closed in this one, a deleted ticket, another tenant's ticket, and an
empty period."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.tests.factories import AdminFactory
from reports.selectors import (
    Duration,
    Period,
    ReportFilters,
    report_build,
)
from reports.services import attendances_refresh
from reports.tests.fixtures import PERIOD
from reports.tests.stories import SAO_PAULO, Story, local
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory


def _admin_report(team, **filters):
    return report_build(user=team["admin"], filters=ReportFilters(**filters), period=PERIOD)


def test_the_cards_of_the_period(team, stories):
    cards = _admin_report(team).cards
    # Opened on the 10th/11th: T1, T2, T3, T4, T5, T7 (T8 opened on the 9th, T9 deleted).
    assert (cards.attendances, cards.active, cards.receptive) == (6, 1, 5)
    assert (cards.reopened, cards.reopen_rate) == (1, 16.7)  # T4: 1 of 6
    assert cards.new_contacts == 2  # T1's and T2's contacts
    # Wait over receptive accepted attendances opened in the period: T1 1200, T2 1200, T3 600,
    # T4 1800 s. Mean 1200; median of (600, 1200, 1200, 1800) = 1200; p90 at rank 0.9*3 = 2.7:
    # 1200 + 0.7 * 600 = 1620.
    assert cards.wait == Duration(count=4, mean=1200, median=1200, p90=pytest.approx(1620))
    assert cards.bot == Duration(count=1, mean=300, median=300, p90=300)  # T2
    # First response: T1 1500, T2 1800, T3 720, T4 1860, T5 60 -> mean 5940 / 5 = 1188,
    # median 1500, p90 at rank 3.6: 1800 + 0.6 * 60 = 1836.
    assert cards.first_response == Duration(
        count=5, mean=1188, median=1500, p90=pytest.approx(1836)
    )
    # Handling over attendances CLOSED in the period: T1 1800, T3 3600, T4 5400, T8 3000 ->
    # mean 3450, median (3000 + 3600) / 2 = 3300, p90 3600 + 0.7 * 1800 = 4860.
    assert cards.handling == Duration(count=4, mean=3450, median=3300, p90=pytest.approx(4860))
    # Resolution: T1 3000, T3 4200, T4 7200, T8 3600 -> mean 4500, median 3900, p90 6300.
    assert cards.resolution == Duration(count=4, mean=4500, median=3900, p90=pytest.approx(6300))


def test_the_previous_period_is_the_same_number_of_days_before(team, stories):
    previous = _admin_report(team).previous
    # 8 and 9 March: T6 and T8 opened; T6 closed (handling 1800, resolution 2100).
    assert (previous.attendances, previous.active, previous.new_contacts) == (2, 0, 1)
    assert previous.wait == Duration(count=2, mean=450, median=450, p90=pytest.approx(570))
    assert previous.handling == Duration(count=1, mean=1800, median=1800, p90=1800)
    assert previous.resolution.mean == 2100


def test_series_count_local_days_and_hours(team, stories):
    report = _admin_report(team)
    # T1 opened at 02:50 UTC on the 11th but 23:50 on the 10th in Sao Paulo.
    assert report.daily == [(date(2026, 3, 10), 2), (date(2026, 3, 11), 4)]
    hours = {
        (day, hour): n
        for day, row in enumerate(report.week_hours, start=1)
        for hour, n in enumerate(row)
        if n
    }
    # Tuesday 10th: T4 08h, T1 23h; Wednesday 11th: T2 09h, T3 10h, T5 14h, T7 16h.
    assert hours == {(2, 8): 1, (2, 23): 1, (3, 9): 1, (3, 10): 1, (3, 14): 1, (3, 16): 1}
    assert [(s.key, s.count, s.percent) for s in report.channels] == [
        ("telegram", 4, 66.67),
        ("webchat", 2, 33.33),
    ]


def test_the_queue_table(team, stories):
    rows = {row.name: row for row in _admin_report(team).queues}
    q1, q2 = rows["Q1"], rows["Q2"]
    assert (q1.attendances, q1.percent, q1.closed) == (4, 66.67, 4)  # closed: T1 T3 T4 T8
    assert (q1.wait.mean, q1.handling.mean) == (1200, 3450)
    assert (q1.pending_now, q1.open_now) == (0, 1)  # T2
    assert (q2.attendances, q2.percent, q2.closed, q2.wait.count) == (2, 33.33, 0, 0)
    assert (q2.pending_now, q2.open_now) == (1, 1)  # T7, T5


def test_the_agent_table(team, stories):
    rows = {row.agent_id: row for row in _admin_report(team).agents}
    a, b = rows[team["a"].pk], rows[team["b"].pk]
    # A took T1, T3, T4 twice and started T5 in the period (T8's acceptance was on the 9th).
    assert (a.name, a.taken, a.closed, a.open_now) == ("Ana", 5, 3, 1)
    # A closed T1 (1800), T4 (5400) and T8 (3000): mean 3400, median 3000.
    assert (a.handling.mean, a.handling.median) == (3400, 3000)
    # B accepted T2 and received T3 by transfer; closed T3 (3600).
    assert (b.taken, b.closed, b.handling.mean, b.open_now) == (2, 1, 3600, 1)
    assert rows[None].pending_now == 1  # T7 is nobody's
    assert set(rows) == {team["a"].pk, team["b"].pk, None}


def test_filters_narrow_every_figure(team, stories):
    by_queue = _admin_report(team, queue_ids=[team["q2"].pk])
    assert (by_queue.cards.attendances, by_queue.cards.active) == (2, 1)
    assert by_queue.cards.new_contacts == 0  # T1's and T2's contacts are in Q1
    assert by_queue.daily == [(date(2026, 3, 10), 0), (date(2026, 3, 11), 2)]
    by_channel = _admin_report(team, providers=["telegram"])
    assert by_channel.cards.attendances == 4
    by_agent = _admin_report(team, agent_ids=[team["b"].pk])
    assert by_agent.cards.attendances == 2  # T2 and T3 are B's
    assert [row.agent_id for row in by_agent.agents] == [team["b"].pk]


def test_an_agent_sees_only_their_own_figures(team, stories):
    report = report_build(user=team["a"], filters=ReportFilters(), period=PERIOD)
    # A holds or closed T1, T4, T5 (opened in the period) and T8 (closed in it).
    assert (report.cards.attendances, report.cards.active) == (3, 1)
    assert report.cards.handling.count == 3
    assert [row.agent_id for row in report.agents] == [team["a"].pk]
    assert {row.name for row in report.queues} == {"Q1", "Q2"}
    # Asking for B's figures gives an agent nothing of B's.
    other = report_build(
        user=team["a"], filters=ReportFilters(agent_ids=[team["b"].pk]), period=PERIOD
    )
    assert (other.cards.attendances, other.agents) == (0, [])


def test_an_empty_period_gives_zeros_not_nulls(team, stories):
    empty = Period(date(2025, 1, 1), date(2025, 1, 3), SAO_PAULO)
    report = report_build(user=team["admin"], filters=ReportFilters(), period=empty)
    assert (report.cards.attendances, report.cards.new_contacts, report.cards.reopen_rate) == (
        0,
        0,
        0.0,
    )
    assert report.cards.wait == Duration(count=0, mean=0.0, median=0.0, p90=0.0)
    assert report.daily == [(date(2025, 1, d), 0) for d in (1, 2, 3)]
    assert report.channels == []
    assert sum(map(sum, report.week_hours)) == 0


def test_another_tenants_attendances_never_count(team, stories, beta):
    with tenant_scope(beta.tenant):
        admin = AdminFactory()
        Story(connection=ConnectionFactory(), queue=None, opened=local("2026-03-10 10:00")).done()
        attendances_refresh()
        theirs = report_build(user=admin, filters=ReportFilters(), period=PERIOD)
    assert theirs.cards.attendances == 1
    assert _admin_report(team).cards.attendances == 6


def test_the_whole_dashboard_is_a_fixed_number_of_queries(team, stories, django_assert_num_queries):
    # cards by opening and by close, new contacts, local hours, channels, queues, backlog,
    # agents' closes, taken, names: ten, for two days as for thirteen months, for an admin as
    # for an agent.
    year = Period(date(2025, 3, 1), date(2026, 3, 31), SAO_PAULO)
    for user in (team["admin"], team["a"]):
        for period in (PERIOD, year):
            with django_assert_num_queries(10):
                report_build(user=user, filters=ReportFilters(), period=period)


def test_a_transfer_to_a_queue_is_not_taking_the_attendance(team, stories):
    # T10 opens 10:00 on the 11th, A returns it to Q2 (a transfer without an agent) at 10:05,
    # B accepts at 10:30: the wait is 30 minutes, and A took nothing.
    ticket = (
        Story(connection=team["telegram"], queue=team["q1"], opened=local("2026-03-11 10:00"))
        .transfer(team["a"], local("2026-03-11 10:05"))
        .accept(team["b"], local("2026-03-11 10:30"))
        .done()
    )
    attendances_refresh(ticket_ids=[ticket.pk])
    report = _admin_report(team, queue_ids=[team["q1"].pk], agent_ids=[team["b"].pk])
    # B's attendances in Q1 opened in the period: T2 (wait 1200), T3 (closed by B; its wait runs
    # to A's acceptance, 600) and T10 (1800): mean 3600 / 3 = 1200.
    assert (report.cards.attendances, report.cards.wait.mean) == (3, 1200)
    taken = {row.agent_id: row.taken for row in _admin_report(team).agents}
    assert (taken[team["a"].pk], taken[team["b"].pk]) == (5, 3)
