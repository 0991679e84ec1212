"""Writes of the agents' saved inbox filters (the inbox's named views)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.exceptions import FieldValidationError
from tickets.errors import SavedInboxFiltersFull
from tickets.models import SavedInboxFilter

SAVED_FILTERS_MAX = 30
NAME_MAX = 60


def _name_checked(name: str) -> str:
    name = " ".join(name.split())
    problem = ""
    if not name:
        problem = _("Give the filter a name.")
    elif len(name) > NAME_MAX:
        problem = _("The name is too long (at most %(max)s characters).") % {"max": NAME_MAX}
    if problem:
        raise FieldValidationError({"name": [problem]}, message=problem)
    return name


@transaction.atomic
def saved_inbox_filter_save(*, user: User, name: str, filters: dict[str, Any]) -> SavedInboxFilter:
    """Save ``filters`` (the inbox's query parameters, as the inbox reads them) under ``name``
    for ``user``; a filter of theirs with that name is replaced. At most ``SAVED_FILTERS_MAX``
    per user (409 ``saved_inbox_filters_full``)."""
    name = _name_checked(name)
    existing = SavedInboxFilter.objects.select_for_update().filter(user=user, name=name).first()
    if existing is not None:
        existing.filters = filters
        existing.save(update_fields=["filters", "updated_at"])
        return existing
    if SavedInboxFilter.objects.filter(user=user).count() >= SAVED_FILTERS_MAX:
        raise SavedInboxFiltersFull()
    try:
        with transaction.atomic():
            return SavedInboxFilter.objects.create(user=user, name=name, filters=filters)
    except IntegrityError:  # saved twice at once: the other request's row gets these filters
        saved = SavedInboxFilter.objects.select_for_update().get(user=user, name=name)
        saved.filters = filters
        saved.save(update_fields=["filters", "updated_at"])
        return saved


@transaction.atomic
def saved_inbox_filter_delete(*, saved_filter: SavedInboxFilter) -> None:
    """Forget a saved filter (the caller fetched it as the user's own)."""
    saved_filter.delete()
