"""Reads of the tenant's users."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User


def users_active() -> QuerySet[User]:
    """Active users of the tenant by name (transfer targets, wallet owners); only what any agent
    may know of them."""
    return User.objects.filter(is_active=True).only("pk", "name", "email", "role")


def user_avatar_get(*, pk: int) -> User | None:
    """A user of the tenant whose photo may be shown to any signed-in colleague, or None."""
    return User.objects.filter(pk=pk).exclude(avatar="").only("pk", "avatar").first()
