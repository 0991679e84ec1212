"""The live panel's figures: the backlog right now, read from the tickets themselves (not the
rollup, which follows a few seconds behind)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from tickets.models import Queue, Ticket


@dataclass(frozen=True)
class LiveQueue:
    """A queue now (``queue_id`` None: tickets in no queue)."""

    queue_id: int | None
    name: str
    waiting: int
    open: int
    longest_wait_seconds: float


@dataclass(frozen=True)
class LiveAgent:
    """An agent now: their presence and the tickets they hold."""

    agent_id: int
    name: str
    status: str
    open: int
    pending: int


def _active_tickets() -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        deleted_at__isnull=True, status__in=[Ticket.Status.PENDING, Ticket.Status.OPEN]
    ).order_by()


def live_queues(*, now: datetime | None = None) -> list[LiveQueue]:
    """Per active queue (and tickets in none): tickets waiting (pending) and open now, and how
    long the oldest waiting one has been open. Two queries."""
    now = now or timezone.now()
    counts: dict[int | None, dict[str, Any]] = {
        values["queue_id"]: dict(values)
        for values in _active_tickets()
        .values("queue_id")
        .annotate(
            waiting=Count("pk", filter=Q(status=Ticket.Status.PENDING)),
            open=Count("pk", filter=Q(status=Ticket.Status.OPEN)),
            oldest=Min("created_at", filter=Q(status=Ticket.Status.PENDING)),
        )
    }
    names: dict[int | None, str] = dict(
        Queue.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
    )
    if None in counts:
        names[None] = ""
    lines = []
    for queue_id, name in names.items():
        values: dict[str, Any] = counts.get(queue_id, {})
        oldest = values.get("oldest")
        lines.append(
            LiveQueue(
                queue_id=queue_id,
                name=name,
                waiting=values.get("waiting", 0),
                open=values.get("open", 0),
                longest_wait_seconds=(now - oldest).total_seconds() if oldest else 0.0,
            )
        )
    return lines


def live_agents(*, status_of: Callable[[int], str]) -> list[LiveAgent]:
    """Every active user with their presence (``status_of(user id)``, realtime's presence) and
    the open and pending tickets assigned to them. Two queries."""
    held: dict[int | None, dict[str, Any]] = {
        values["assignee_id"]: dict(values)
        for values in _active_tickets()
        .filter(assignee__isnull=False)
        .values("assignee_id")
        .annotate(
            open=Count("pk", filter=Q(status=Ticket.Status.OPEN)),
            pending=Count("pk", filter=Q(status=Ticket.Status.PENDING)),
        )
    }
    users = User.objects.filter(is_active=True).order_by("name", "email")
    return [
        LiveAgent(
            agent_id=pk,
            name=name or email,
            status=status_of(pk),
            open=held.get(pk, {}).get("open", 0),
            pending=held.get(pk, {}).get("pending", 0),
        )
        for pk, name, email in users.values_list("pk", "name", "email")
    ]
