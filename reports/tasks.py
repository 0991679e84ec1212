"""Celery entry points of the reports domain (thin: call one service each)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from django.db import OperationalError

# Every refresh recomputes rows from the timeline (idempotent), so one that loses a deadlock to
# another transaction on the same rows, or its connection, runs again instead of leaving the
# rows stale: after 1, 2, 4… s (with jitter), at most 6 times.
RETRY_ON = (OperationalError,)
RETRY_BACKOFF_MAX = 60
RETRIES = 6


def _refresh_task(name: str) -> Callable[[Callable[..., int]], Task[Any, int]]:
    """A refresh task, retried as above."""
    return shared_task(
        name=name,
        autoretry_for=RETRY_ON,
        retry_backoff=True,
        retry_backoff_max=RETRY_BACKOFF_MAX,
        retry_jitter=True,
        max_retries=RETRIES,
    )


@_refresh_task("reports.tasks.attendances_refresh_task")
def attendances_refresh_task(ticket_id: int) -> int:
    """Recompute one ticket's attendance row after a change of the ticket."""
    from reports.services import attendances_refresh

    return attendances_refresh(ticket_ids=[ticket_id])


@_refresh_task("reports.tasks.attendance_refresh_for_message_task")
def attendance_refresh_for_message_task(message_id: int) -> int:
    """Recompute the attendance row of a new message's ticket."""
    from reports.services import attendance_refresh_for_message

    return attendance_refresh_for_message(message_id=message_id)


# The two below are what inbound batches published before ``attendances_refresh_for_batch_task``;
# kept so that tasks queued by a previous release still run.
@_refresh_task("reports.tasks.attendances_refresh_many_task")
def attendances_refresh_many_task(ticket_ids: list[int]) -> int:
    """Recompute the attendance rows of an inbound batch's changed tickets (one upsert)."""
    from reports.services import attendances_refresh

    return attendances_refresh(ticket_ids=ticket_ids)


@_refresh_task("reports.tasks.attendance_refresh_for_messages_task")
def attendance_refresh_for_messages_task(message_ids: list[int]) -> int:
    """Recompute the attendance rows of an inbound batch's new messages' tickets."""
    from reports.services import attendance_refresh_for_messages

    return attendance_refresh_for_messages(message_ids=message_ids)


@_refresh_task("reports.tasks.attendances_refresh_for_batch_task")
def attendances_refresh_for_batch_task(ticket_ids: list[int], message_ids: list[int]) -> int:
    """Recompute the attendance rows of an inbound batch: its changed tickets' and its new
    messages' tickets' (one upsert; both idempotent, so retried together)."""
    from reports.services import attendances_refresh_for_batch

    return attendances_refresh_for_batch(ticket_ids=ticket_ids, message_ids=message_ids)


@_refresh_task("reports.tasks.attendances_business_refresh_task")
def attendances_business_refresh_task(queue_id: int | None = None) -> int:
    """Recompute the business-hours figures after a schedule changed: the attendances of
    ``queue_id`` for a queue's own schedule, every attendance for the tenant's (None)."""
    from reports.services import attendances_business_refresh

    return attendances_business_refresh(queue_id=queue_id)
