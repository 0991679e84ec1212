"""A refresh of the rollup that loses a deadlock is retried, not lost.

Two workers now process one connection's batches side by side, so two refreshes of attendance
rows and another transaction can take the same rows in opposite orders, and a refresh that
PostgreSQL picks as a deadlock's victim runs again (the task is idempotent). Here another
session holds the older ticket's row; the task takes the newer one's first (the rows come in
the tickets' default order, newest activity first) and waits for the older; then the session
asks for the newer: a real deadlock. The session waits 10 s before checking for deadlocks and
the task's session 1 s (the server's default), so the task is the one PostgreSQL aborts.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from reports.models import Attendance
from reports.selectors import ATTENDANCE_COLUMNS, attendance_values_raw
from reports.services import attendances_refresh
from reports.tasks import attendances_refresh_many_task
from tenants.tenancy import tenant_scope
from tests.reliability.workers import connection_data_remove
from tests.support.concurrency import database_session, in_thread
from tickets.tests.factories import ConnectionFactory, TicketFactory


def _session(schema: str) -> psycopg.Connection:
    """Another session, slow to check for deadlocks (10 s)."""
    session = database_session(schema=schema)
    session.execute("SET deadlock_timeout = '10s'")
    return session


def _refreshes_waiting(table: str) -> int:
    """How many sessions wait for a lock in an upsert of ``table``."""
    with database_session(autocommit=True) as probe:
        row = probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE %s",
            [f'%INSERT INTO "{table}"%'],
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.django_db
def test_a_refresh_chosen_as_a_deadlock_victim_runs_again(alpha) -> None:
    tenant = alpha.tenant

    def setup() -> tuple[int, list[int]]:
        with tenant_scope(tenant):
            connection = ConnectionFactory()
            ids = sorted(TicketFactory(connection=connection).pk for _ in range(2))
            attendances_refresh(ticket_ids=ids)
            return connection.pk, ids

    connection_id, (first, second) = in_thread(setup)
    holder = _session(tenant.schema_name)
    outcome: dict[str, Any] = {}
    try:
        table = Attendance._meta.db_table
        holder.execute(f'SELECT 1 FROM "{table}" WHERE ticket_id = %s FOR UPDATE', [first])  # noqa: S608

        def refresh() -> None:
            with tenant_scope(tenant):
                result = attendances_refresh_many_task.apply(args=([second, first],))
                outcome["state"] = result.state
                outcome["error"] = repr(result.result) if result.failed() else ""

        worker = threading.Thread(target=lambda: in_thread(refresh))
        worker.start()
        deadline = time.monotonic() + 30
        while _refreshes_waiting(table) == 0:  # the task holds the newer row, waits on ours
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # Ask for the newer row: a deadlock, which the task's session detects first.
        holder.execute(f'SELECT 1 FROM "{table}" WHERE ticket_id = %s FOR UPDATE', [second])  # noqa: S608
        holder.commit()
        worker.join(60)
        assert not worker.is_alive()
    finally:
        holder.close()

    def rows() -> tuple[list[dict], list[dict]]:
        with tenant_scope(tenant):
            ids = [first, second]
            kept = list(
                Attendance.objects.filter(ticket_id__in=ids)
                .order_by("ticket_id")
                .values(*ATTENDANCE_COLUMNS)
            )
            raw = list(attendance_values_raw().filter(pk__in=ids).order_by("pk"))
            return kept, raw

    try:
        kept, raw = in_thread(rows)
    finally:
        in_thread(lambda: connection_data_remove(tenant, connection_id))
    assert outcome == {"state": "SUCCESS", "error": ""}
    assert kept == raw
