"""Reads of the tenant's users as their administrators manage them (with their queues)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from core.selectors import get_visible_or_404
from tickets.errors import UserNotFound
from tickets.models import Queue


def users_for_admin() -> QuerySet[User]:
    """Every user of the tenant, active or not, with their queue ids prefetched."""
    return User.objects.prefetch_related(Prefetch("queues", queryset=Queue.objects.only("pk")))


def user_get(*, pk: int) -> User:
    """One user of the tenant, active or not; ``UserNotFound`` otherwise."""
    return get_visible_or_404(users_for_admin(), UserNotFound, pk=pk)
