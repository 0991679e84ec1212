"""Reads every app shares: one way to fetch a row by id or answer "not found"."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet

from core.exceptions import ApplicationError, NotFound

_M = TypeVar("_M", bound=Model)


def get_visible_or_404(
    queryset: QuerySet[_M], error: type[ApplicationError] = NotFound, /, **lookups: Any
) -> _M:
    """The row of ``queryset`` matching ``lookups``, else ``error`` (404 ``not_found`` unless
    the app names its own).

    ``queryset`` is already narrowed to what the caller may see, so a missing row, a hidden one
    and a malformed id (``ValueError`` for numbers, ``ValidationError`` for UUIDs) all get the
    same answer and nothing leaks about rows of others.
    """
    try:
        return queryset.get(**lookups)
    except (ObjectDoesNotExist, ValueError, ValidationError) as exc:
        raise error() from exc
