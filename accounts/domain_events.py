"""Domain events of users (published through ``core.event_bus``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.event_bus import DomainEvent


@dataclass(frozen=True)
class UserPresenceChanged(DomainEvent):
    """A user went online, away or offline (``status``)."""

    user_id: int
    status: str
