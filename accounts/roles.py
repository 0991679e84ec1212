"""Role checks of the API: one place decides what "admins only" means and answers."""

from __future__ import annotations

from accounts.errors import AdminRequired
from accounts.models import User


def require_admin(user: User) -> User:
    """``user`` when they administer the tenant; 403 ``admin_required`` otherwise."""
    if not user.is_admin:
        raise AdminRequired()
    return user
