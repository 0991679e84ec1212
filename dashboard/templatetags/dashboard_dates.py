"""Dates as the dashboard shows them: day and month with the time, and the year too whenever it is
not the current one (a scheduled message for next January must not read as this January)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()


@register.filter
def short_when(value: datetime | None) -> str:
    """``d/m H:i`` in the current year (in the active time zone), ``d/m/Y H:i`` otherwise."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    now = timezone.localtime()
    return date_format(local, "d/m H:i" if local.year == now.year else "d/m/Y H:i")
