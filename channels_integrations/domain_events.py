"""Domain events of channel connections (published through ``core.event_bus``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.event_bus import DomainEvent


@dataclass(frozen=True)
class ConnectionStatusChanged(DomainEvent):
    """A connection became connected, failed, or was enabled/disabled."""

    connection_id: int
