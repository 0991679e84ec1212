"""What a message's channel can do to the customer's copy of a message, as its provider
declares it (``connections.providers.base.ConnectionProvider``): whether edits and deletions
reach the customer, and which reactions an agent may send. The services decide with it and
the panel says it before the agent acts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from connections.providers.registry import provider_for, provider_installed


@dataclass(frozen=True)
class ChannelCapabilities:
    edits_reach_customer: bool = False
    deletions_reach_customer: bool = False
    reaction_emojis: tuple[str, ...] = ()
    deletion_window: timedelta | None = None

    def deletion_reaches(self, kind: str, sent_at: datetime | None) -> bool:
        """Whether deleting a message of ``kind`` sent at ``sent_at`` now removes the
        customer's copy: not an agent's reaction (no message the channel can delete), nor a
        message older than the channel's deletion window."""
        if not self.deletions_reach_customer or kind == "reaction":
            return False
        window = self.deletion_window
        return window is None or sent_at is None or timezone.now() - sent_at <= window


def channel_capabilities(provider_key: str) -> ChannelCapabilities:
    """The capabilities of a provider key; none for a provider not installed here."""
    if not provider_installed(provider_key):
        return ChannelCapabilities()
    provider = provider_for(provider_key)
    return ChannelCapabilities(
        edits_reach_customer=provider.edits_reach_customer,
        deletions_reach_customer=provider.deletions_reach_customer,
        reaction_emojis=tuple(provider.reaction_emojis),
        deletion_window=timedelta(hours=provider.deletion_window_hours)
        if provider.deletion_window_hours is not None
        else None,
    )
