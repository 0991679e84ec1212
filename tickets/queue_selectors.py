"""Reads of queues and of the tenant's users, for the management API and pickers."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from tickets.errors import QueueNotFound, UserNotFound
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
    try:
        return queues_for(user).get(pk=pk)
    except Queue.DoesNotExist as exc:
        raise QueueNotFound() from exc


def users_for_admin() -> QuerySet[User]:
    """Every user of the tenant, active or not, with their queue ids prefetched."""
    return User.objects.prefetch_related(Prefetch("queues", queryset=Queue.objects.only("pk")))


def users_active() -> QuerySet[User]:
    """Active users of the tenant (transfer targets); only what any agent may know of them."""
    return User.objects.filter(is_active=True).only("pk", "name", "email", "role")


def user_get(*, pk: int) -> User:
    """One user of the tenant, active or not; ``UserNotFound`` otherwise."""
    try:
        return users_for_admin().get(pk=pk)
    except User.DoesNotExist as exc:
        raise UserNotFound() from exc
