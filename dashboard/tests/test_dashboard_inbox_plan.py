"""The inbox's "load more" is a keyset page the index answers: the cursor bounds the index scan
(``ROW(last_message_at, id) < ROW(…)`` in its Index Cond), so a deep page costs what the first
one does. With ``lm < at OR (lm = at AND id < last)`` the cursor was only a Filter: the scan
walked every ticket of the tab before it, as OFFSET would.

A test database is too small for the planner to prefer an index on its own, so sequential scans
are priced out (``enable_seqscan = off``), as in test_inbox_search_plan.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from dashboard.inbox.views import _after_cursor, _cursor_of
from tenants.tenancy import tenant_scope
from tests.support.plans import plan_nodes
from tickets.selectors import ticket_list_for_inbox
from tickets.tests.factories import TicketFactory


def _plan(queryset) -> list[dict[str, Any]]:
    return plan_nodes(queryset, without_seqscan=True)


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def test_the_cursor_bounds_the_inbox_index_scan(in_alpha):
    admin = AdminFactory()
    tickets = [TicketFactory(last_message_at=timezone.now()) for _ in range(3)]
    pending = ticket_list_for_inbox(user=admin, status=["pending"])

    nodes = _plan(_after_cursor(pending, _cursor_of(tickets[0]))[:41])

    # Either inbox-order index (per status, or the all-statuses one, which a table of three
    # tickets makes as cheap): what matters is that the cursor bounds the scan.
    inbox_indexes = ("ticket_inbox_status_idx", "ticket_inbox_all_idx")
    scans = [node for node in nodes if node.get("Index Name") in inbox_indexes]
    assert len(scans) == 1
    assert "ROW(last_message_at, id) < ROW(" in scans[0]["Index Cond"]
    assert "last_message_at" not in scans[0].get("Filter", "")


def test_the_cursor_pages_past_equal_times(in_alpha):
    admin = AdminFactory()
    now = timezone.now()
    earlier = TicketFactory(last_message_at=now - timedelta(minutes=1))
    same = [TicketFactory(last_message_at=now) for _ in range(3)]
    pending = ticket_list_for_inbox(user=admin, status=["pending"])

    after_first_same = _after_cursor(pending, _cursor_of(same[2]))

    assert [t.pk for t in after_first_same] == [same[1].pk, same[0].pk, earlier.pk]
    # A cursor that is not one of ours is ignored: the first page.
    assert len(_after_cursor(pending, "garbage|12")) == 4
    assert len(_after_cursor(pending, "2026-13-01T00:00:00+00:00|12")) == 4
