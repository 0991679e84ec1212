"""Template helpers of the inbox rows: initials, compact waiting times, the live sort key and
the ticket panel's address."""

from __future__ import annotations

import zlib
from datetime import datetime
from uuid import UUID

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets.models import Ticket

register = template.Library()

_AVATAR_HUES = 12


@register.filter
def initials(name: str) -> str:
    """Up to two initials of a name ("Joana Prado" → "JP"); "?" for an empty one."""
    words = [word for word in (name or "").split() if word[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


@register.filter
def avatar_hue(value: object) -> int:
    """A stable colour (hue in degrees) for an avatar, derived from the contact's id."""
    return (zlib.crc32(str(value).encode()) % _AVATAR_HUES) * (360 // _AVATAR_HUES)


@register.filter
def waiting(since: datetime | None) -> str:
    """How long ago, compactly: "now", "5 min", "3 h", "2 d" (the page's script keeps it
    current from the ``<time datetime>``)."""
    if since is None:
        return ""
    seconds = max(0, int((timezone.now() - since).total_seconds()))
    minutes = seconds // 60
    if minutes < 1:
        return _("now")
    if minutes < 60:
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 24:
        return ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d d", "%(n)d d", days) % {"n": days}


@register.filter
def inbox_sort_key(ticket: Ticket) -> str:
    """A string that sorts like the inbox (descending): activity in microseconds, then the
    public id (exact ties are all but impossible; the internal id stays internal). A ticket
    without activity sorts first, as PostgreSQL puts NULLs first in that order."""
    at = ticket.last_message_at
    micros = 99_999_999_999_999_999 if at is None else int(at.timestamp() * 1_000_000)
    return f"{micros:017d}-{ticket.public_id}"


@register.simple_tag
def ticket_panel_url(public_id: UUID | str) -> str:
    """The ticket panel fragment's address (``tickets:panel``, built by the panel's module)."""
    try:
        return reverse("tickets:panel", args=[public_id])
    except NoReverseMatch:
        # The panel's routes are merged separately; this is the path they are agreed to have.
        return f"/tickets/{public_id}/panel/"
