"""The header's presence control reads whether the signed-in user chose "away"."""

from __future__ import annotations

from django import template

from accounts.models import User
from accounts.presence import presence_chosen_away_shown

register = template.Library()


@register.simple_tag
def chosen_away(user: User) -> bool:
    """True when ``user`` set themselves away (one Redis read; False for anonymous users)."""
    return bool(getattr(user, "is_authenticated", False)) and presence_chosen_away_shown(user.pk)
