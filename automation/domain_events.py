"""Domain events of automation (published through ``core.event_bus``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.event_bus import DomainEvent


@dataclass(frozen=True)
class BusinessHoursChanged(DomainEvent):
    """A schedule was saved or dropped: the tenant's (``queue_id`` None) or a queue's own.
    What is measured in business hours (reports) follows it."""

    queue_id: int | None
