"""Domain events of campaigns (published through ``core.event_bus``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.event_bus import DomainEvent


@dataclass(frozen=True)
class CampaignProgressed(DomainEvent):
    """A campaign changed status or its recipients moved on (at most about once a second
    while it sends); subscribers read its counts from the recipients."""

    campaign_id: int
