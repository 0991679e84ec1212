"""Reads of the agents' saved inbox filters: each agent sees only their own."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User
from core.selectors import get_visible_or_404
from tickets.errors import SavedInboxFilterNotFound
from tickets.models import SavedInboxFilter


def saved_inbox_filters_of(user: User) -> QuerySet[SavedInboxFilter]:
    """``user``'s saved inbox filters, by name."""
    return SavedInboxFilter.objects.filter(user=user).order_by("name", "id")


def saved_inbox_filter_get_for(*, user: User, public_id: UUID | str) -> SavedInboxFilter:
    """One of ``user``'s saved filters; ``SavedInboxFilterNotFound`` for anyone else's."""
    return get_visible_or_404(
        saved_inbox_filters_of(user), SavedInboxFilterNotFound, public_id=public_id
    )
