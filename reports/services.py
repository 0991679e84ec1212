"""Writes of the reports domain: the attendance rollup, recomputed from the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from reports.models import Attendance
from reports.selectors.business_time import (
    BUSINESS_COLUMNS,
    BUSINESS_SPANS,
    QueueSchedules,
    business_seconds,
)
from reports.selectors.rollup import ATTENDANCE_COLUMNS, attendance_rows_raw, attendance_values_raw
from tickets.models import Message, Ticket

# The ticket ids of a refresh, bound as one array: ``_upsert_of_tickets`` compiles the statement
# once per process with this marker in its parameters.
_TICKET_IDS = object()


@cache
def _upsert_of_tickets() -> tuple[str, tuple[Any, ...]]:
    """The upsert of the attendances of the tickets ``_TICKET_IDS`` (its SQL and parameters).

    Building and compiling the rollup's statement cost most of a refresh's CPU; it holds no
    value of a tenant or of the moment (tables are found through the ``search_path``, its
    other parameters are the model's constants), so one compiled statement serves every call.
    """
    rows = attendance_rows_raw().filter(
        # The model's own identifiers; the ids are a bound parameter.
        RawSQL(f'"{Ticket._meta.db_table}"."id" = ANY(%s)', (_TICKET_IDS,), BooleanField())  # noqa: S611
    )
    return _upsert_sql(rows)


def _upsert_sql(rows: QuerySet[Ticket]) -> tuple[str, tuple[Any, ...]]:
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
    return sql, tuple(params)


@transaction.atomic
def attendances_refresh(*, ticket_ids: Sequence[int] | None = None) -> int:
    """Recompute the Attendance rows of ``ticket_ids`` (every ticket when None); returns how many
    were written (new or changed).

    One ``INSERT … SELECT … ON CONFLICT DO UPDATE`` whose SELECT is ``attendance_values_raw``:
    the rollup holds exactly what the raw definitions give, and running it again (a retried
    task, two handlers for one change) writes the same values. Idempotent and safe to run
    concurrently with itself: the upsert settles races on the primary key.
    """
    if ticket_ids is None:
        sql, params = _upsert_sql(attendance_rows_raw())
    else:
        sql, marked = _upsert_of_tickets()
        ids = [int(pk) for pk in ticket_ids]
        params = tuple(ids if param is _TICKET_IDS else param for param in marked)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = cursor.rowcount
    attendances_business_refresh(ticket_ids=ticket_ids)
    return written


# The calendar column each business-hours column equals when no schedule applies.
_CALENDAR_OF = {column: column.replace("_business", "") for column in BUSINESS_COLUMNS}


def attendances_business_refresh(
    *, ticket_ids: Sequence[int] | None = None, queue_id: int | None = None
) -> int:
    """Recompute the business-hours columns of the attendances of ``ticket_ids`` (or of the
    queue ``queue_id``; all when both are None) from their rollup timestamps and the schedules
    now; returns how many rows changed.

    Without any enabled schedule, one UPDATE copies the calendar figures. Otherwise each row's
    spans are measured in Python (``business_seconds``) under its queue's schedule and only the
    rows whose values differ are written. Runs after each schedule change
    (``attendances_business_refresh_task``) as well as with every refresh of a row.
    """
    table = Attendance._meta.db_table
    schedules = QueueSchedules()
    rows = Attendance.objects.all()
    if ticket_ids is not None:
        rows = rows.filter(ticket_id__in=list(ticket_ids))
    if queue_id is not None:
        rows = rows.filter(queue_id=queue_id)
    if not schedules.any_enabled:
        mine = ", ".join(f'"{column}"' for column in BUSINESS_COLUMNS)
        theirs = ", ".join(f'"{_CALENDAR_OF[column]}"' for column in BUSINESS_COLUMNS)
        assignments = ", ".join(f'"{b}" = "{c}"' for b, c in _CALENDAR_OF.items())
        scope_sql, params = rows.order_by().values("ticket_id").query.sql_with_params()
        # Identifiers are the model's own; values are bound parameters of the compiled scope.
        sql = (
            f'UPDATE "{table}" SET {assignments} WHERE "ticket_id" IN ({scope_sql}) '  # noqa: S608
            f"AND ({mine}) IS DISTINCT FROM ({theirs})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount
    timestamps = {name for span in BUSINESS_SPANS.values() for name in span}
    changed = []
    for values in rows.order_by().values(
        "ticket_id", "queue_id", "is_outbound", *timestamps, *BUSINESS_COLUMNS
    ):
        fresh = business_seconds(values, schedules(values["queue_id"]))
        if any(fresh[column] != values[column] for column in BUSINESS_COLUMNS):
            changed.append(Attendance(ticket_id=values["ticket_id"], **fresh))
    Attendance.objects.bulk_update(changed, BUSINESS_COLUMNS, batch_size=500)
    return len(changed)


def attendance_refresh_for_message(*, message_id: int) -> int:
    """Refresh the attendance of a message's ticket (messages set the response timestamps).

    Skipped (0) once the attendance has its first inbound message, its first response and its
    first acceptance: a later message changes none of its values (the bot hand-over is the bot's
    last message *before* the first acceptance), so a long conversation costs one read each.
    """
    return attendance_refresh_for_messages(message_ids=[message_id])


def attendance_refresh_for_messages(*, message_ids: Sequence[int]) -> int:
    """``attendance_refresh_for_message`` of several messages (an inbound batch's) at once:
    their tickets whose attendance is not settled, refreshed by one upsert."""
    return attendances_refresh_for_batch(ticket_ids=(), message_ids=message_ids)


def attendances_refresh_for_batch(*, ticket_ids: Sequence[int], message_ids: Sequence[int]) -> int:
    """An inbound batch's changes in one upsert: the attendances of the changed tickets
    ``ticket_ids`` (as ``attendances_refresh``) and of the new messages' tickets whose
    attendance is not settled (as ``attendance_refresh_for_messages``)."""
    waiting = set(ticket_ids)
    ticket_ids_of_messages = (
        set(Message.objects.filter(pk__in=list(message_ids)).values_list("ticket_id", flat=True))
        - waiting
        if message_ids
        else set()
    )
    if ticket_ids_of_messages:
        settled = set(
            Attendance.objects.filter(
                ticket_id__in=ticket_ids_of_messages,
                first_inbound_at__isnull=False,
                first_response_at__isnull=False,
                first_accepted_at__isnull=False,
            ).values_list("ticket_id", flat=True)
        )
        waiting |= ticket_ids_of_messages - settled
    if not waiting:
        return 0
    return attendances_refresh(ticket_ids=sorted(waiting))
