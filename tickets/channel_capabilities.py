"""What a message's channel can do to the customer's copy of a message, as its provider
declares it (``connections.providers.base.ConnectionProvider``): whether edits and deletions
reach the customer, and which reactions an agent may send. The services decide with it and
the panel says it before the agent acts."""

from __future__ import annotations

from dataclasses import dataclass

from connections.providers.registry import provider_for, provider_installed


@dataclass(frozen=True)
class ChannelCapabilities:
    edits_reach_customer: bool = False
    deletions_reach_customer: bool = False
    reaction_emojis: tuple[str, ...] = ()

    def deletion_reaches(self, kind: str) -> bool:
        """Whether deleting a sent message of ``kind`` removes the customer's copy: an agent's
        reaction is not a message the channel can delete, so its deletion stays here."""
        return self.deletions_reach_customer and kind != "reaction"


def channel_capabilities(provider_key: str) -> ChannelCapabilities:
    """The capabilities of a provider key; none for a provider not installed here."""
    if not provider_installed(provider_key):
        return ChannelCapabilities()
    provider = provider_for(provider_key)
    return ChannelCapabilities(
        edits_reach_customer=provider.edits_reach_customer,
        deletions_reach_customer=provider.deletions_reach_customer,
        reaction_emojis=tuple(provider.reaction_emojis),
    )
