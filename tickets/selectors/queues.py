"""Reads of queues, for the management API and pickers."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from core.selectors import get_visible_or_404
from tickets.errors import QueueNotFound
from tickets.models import Queue


def queues_for(user: User) -> QuerySet[Queue]:
    """Queues ``user`` may see with their active agents prefetched: admins all, agents the
    active ones (inactive queues are hidden from pickers)."""
    queues = Queue.objects.prefetch_related(
        Prefetch("members", queryset=User.objects.filter(is_active=True).only("pk"))
    )
    return queues if user.is_admin else queues.filter(is_active=True)


def queue_get_for(*, user: User, pk: int) -> Queue:
    """One queue ``user`` may see; ``QueueNotFound`` when missing or hidden."""
    return get_visible_or_404(queues_for(user), QueueNotFound, pk=pk)
