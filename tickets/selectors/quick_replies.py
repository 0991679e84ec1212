"""Reads of quick replies: the tenant's and each agent's own."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from core.selectors import get_visible_or_404
from tickets.errors import QuickReplyNotFound
from tickets.models import QuickReply


def quick_replies_for(user: User, *, prefix: str = "") -> QuerySet[QuickReply]:
    """The tenant-wide quick replies and ``user``'s personal ones, by shortcode; ``prefix``
    narrows them to shortcodes starting with it (what the agent typed after "/")."""
    replies = QuickReply.objects.filter(Q(owner__isnull=True) | Q(owner=user))
    if prefix:
        replies = replies.filter(shortcode__istartswith=prefix.lstrip("/"))
    return replies.order_by("shortcode", "id")


def quick_reply_get_for(*, user: User, pk: int) -> QuickReply:
    return get_visible_or_404(quick_replies_for(user), QuickReplyNotFound, pk=pk)
