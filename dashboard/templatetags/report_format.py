"""Template filters of the report pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def hms(seconds: float | None) -> str:
    """Seconds as h:mm:ss (hours not wrapped at 24): 3725.4 → "1:02:05"."""
    total = round(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
