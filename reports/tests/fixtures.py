"""The hand-built attendances the figure, page and API tests share (see ``stories``)."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from reports.selectors import Period
from reports.services import attendances_refresh
from reports.tests.stories import SAO_PAULO, Story, local
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory, QueueFactory

PERIOD = Period(date(2026, 3, 10), date(2026, 3, 11), SAO_PAULO)  # previous: 8 and 9 March


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


@pytest.fixture
def team(in_alpha):
    """Queues Q1 (agents A and B) and Q2 (A), a Telegram and a web chat connection, an admin."""
    q1, q2 = QueueFactory(name="Q1"), QueueFactory(name="Q2")
    a = UserFactory(name="Ana", queues=[q1, q2])
    b = UserFactory(name="Bruno", queues=[q1])
    return {
        "q1": q1,
        "q2": q2,
        "a": a,
        "b": b,
        "admin": AdminFactory(),
        "telegram": ConnectionFactory(provider="telegram", name="Bot"),
        "webchat": ConnectionFactory(provider="webchat", name="Site"),
    }


@pytest.fixture
def stories(team):
    """The attendances (times are Sao Paulo wall clock; UTC = +3 h)."""
    a, b, q1, q2, tg, web = (team[k] for k in ("a", "b", "q1", "q2", "telegram", "webchat"))
    t = {}
    # T1 opens at 23:50 on the 10th (02:50 UTC on the 11th): a day-10 attendance.
    # wait 20 min, first response 25 min, handling 30 min, resolution 50 min.
    t[1] = (
        Story(
            connection=tg,
            queue=q1,
            opened=local("2026-03-10 23:50"),
            contact_created=local("2026-03-10 23:50"),
        )
        .inbound(local("2026-03-10 23:50"))
        .accept(a, local("2026-03-11 00:10"))
        .reply(a, local("2026-03-11 00:12"), note=True)  # a note is no response
        .reply(a, local("2026-03-11 00:15"))
        .close(a, local("2026-03-11 00:40"))
        .done()
    )
    # T2: the bot talks until 09:05, B accepts at 09:20: wait 20 min, bot 5 min, first response
    # 30 min; still open.
    t[2] = (
        Story(
            connection=tg,
            queue=q1,
            opened=local("2026-03-11 09:00"),
            contact_created=local("2026-03-11 09:00"),
        )
        .inbound(local("2026-03-11 09:00"))
        .bot(local("2026-03-11 09:01"))
        .bot(local("2026-03-11 09:05"))
        .accept(b, local("2026-03-11 09:20"))
        .reply(b, local("2026-03-11 09:30"))
        .done()
    )
    # T3: A accepts at 10:10 (wait 10 min), answers 10:12 (12 min), transfers to B at 10:30,
    # B closes 11:10: handling 60 min from the FIRST acceptance, resolution 70 min; B's.
    t[3] = (
        Story(connection=tg, queue=q1, opened=local("2026-03-11 10:00"))
        .inbound(local("2026-03-11 10:00"))
        .accept(a, local("2026-03-11 10:10"))
        .reply(a, local("2026-03-11 10:12"))
        .transfer(a, local("2026-03-11 10:30"), to_agent=b)
        .close(b, local("2026-03-11 11:10"))
        .done()
    )
    # T4: accepted 08:30 (wait 30 min), answered 08:31 (31 min), closed 09:00, reopened by the
    # customer 09:10, accepted again 09:20, closed 10:00: handling 90 min, resolution 120 min.
    t[4] = (
        Story(connection=tg, queue=q1, opened=local("2026-03-10 08:00"))
        .inbound(local("2026-03-10 08:00"))
        .accept(a, local("2026-03-10 08:30"))
        .reply(a, local("2026-03-10 08:31"))
        .close(a, local("2026-03-10 09:00"))
        .reopen(local("2026-03-10 09:10"))
        .inbound(local("2026-03-10 09:10"))
        .accept(a, local("2026-03-10 09:20"))
        .close(a, local("2026-03-10 10:00"))
        .done()
    )
    # T5: A starts it (active demand) at 14:00; the customer answers 14:05, A 14:06: first
    # response 1 min; no wait (outbound). Open.
    t[5] = (
        Story(connection=web, queue=q2, opened=local("2026-03-11 14:00"), outbound_by=a)
        .reply(a, local("2026-03-11 14:00"))
        .inbound(local("2026-03-11 14:05"))
        .reply(a, local("2026-03-11 14:06"))
        .done()
    )
    # T6 (previous period): accepted after 5 min, closed after 35 (handling 30).
    t[6] = (
        Story(
            connection=tg,
            queue=q1,
            opened=local("2026-03-09 12:00"),
            contact_created=local("2026-03-09 12:00"),
        )
        .inbound(local("2026-03-09 12:00"))
        .accept(b, local("2026-03-09 12:05"))
        .close(b, local("2026-03-09 12:35"))
        .done()
    )
    # T7: waiting in Q2 since 16:00, nobody took it.
    t[7] = (
        Story(connection=web, queue=q2, opened=local("2026-03-11 16:00"))
        .inbound(local("2026-03-11 16:00"))
        .done()
    )
    # T8: opened in the previous period (23:30 on the 9th), accepted 23:40 (wait 10 min),
    # closed 00:30 on the 10th: handling 50 min and resolution 60 min count in THIS period.
    t[8] = (
        Story(connection=tg, queue=q1, opened=local("2026-03-09 23:30"))
        .inbound(local("2026-03-09 23:30"))
        .accept(a, local("2026-03-09 23:40"))
        .close(a, local("2026-03-10 00:30"))
        .done()
    )
    # T9: in the period but soft-deleted: in no figure.
    t[9] = (
        Story(connection=tg, queue=q1, opened=local("2026-03-11 12:00"))
        .inbound(local("2026-03-11 12:00"))
        .accept(a, local("2026-03-11 12:01"))
        .close(a, local("2026-03-11 12:02"))
        .done(deleted=local("2026-03-12 08:00"))
    )
    attendances_refresh()
    return t
