"""Writes of the reports domain: the attendance rollup, recomputed from the timeline."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, transaction

from reports.models import Attendance
from reports.selectors.rollup import ATTENDANCE_COLUMNS, attendance_rows_raw, attendance_values_raw
from tickets.models import Message


@transaction.atomic
def attendances_refresh(*, ticket_ids: Sequence[int] | None = None) -> int:
    """Recompute the Attendance rows of ``ticket_ids`` (every ticket when None); returns how many
    were written (new or changed).

    One ``INSERT … SELECT … ON CONFLICT DO UPDATE`` whose SELECT is ``attendance_values_raw``:
    the rollup holds exactly what the raw definitions give, and running it again (a retried
    task, two handlers for one change) writes the same values. Idempotent and safe to run
    concurrently with itself: the upsert settles races on the primary key.
    """
    rows = attendance_rows_raw()
    if ticket_ids is not None:
        rows = rows.filter(pk__in=list(ticket_ids))
    select_sql, params = attendance_values_raw(rows).query.sql_with_params()
    table = Attendance._meta.db_table
    columns = ", ".join(f'"{column}"' for column in ATTENDANCE_COLUMNS)
    updates = ", ".join(f'"{column}" = EXCLUDED."{column}"' for column in ATTENDANCE_COLUMNS[1:])
    # A row whose values did not change is not rewritten (no dead tuple, no WAL).
    mine = ", ".join(f'"{table}"."{column}"' for column in ATTENDANCE_COLUMNS[1:])
    theirs = ", ".join(f'EXCLUDED."{column}"' for column in ATTENDANCE_COLUMNS[1:])
    # Identifiers are the model's own; every value is a bound parameter of the compiled SELECT.
    sql = (
        f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM ({select_sql}) AS raw '  # noqa: S608
        f'ON CONFLICT ("ticket_id") DO UPDATE SET {updates} '
        f"WHERE ({mine}) IS DISTINCT FROM ({theirs})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def attendance_refresh_for_message(*, message_id: int) -> int:
    """Refresh the attendance of a message's ticket (messages set the response timestamps).

    Skipped (0) once the attendance has its first inbound message, its first response and its
    first acceptance: a later message changes none of its values (the bot hand-over is the bot's
    last message *before* the first acceptance), so a long conversation costs one read each.
    """
    ticket_id = Message.objects.filter(pk=message_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        return 0
    settled = Attendance.objects.filter(
        ticket_id=ticket_id,
        first_inbound_at__isnull=False,
        first_response_at__isnull=False,
        first_accepted_at__isnull=False,
    )
    if settled.exists():
        return 0
    return attendances_refresh(ticket_ids=[ticket_id])
