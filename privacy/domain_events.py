"""Domain events of data subjects' requests (published through ``core.event_bus``).

They are where the tenant's audit log records export and erasure requests: the log subscribes
to them in ``tiktickets/event_handlers.py``. They carry ids only, never the erased data.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.event_bus import DomainEvent


@dataclass(frozen=True)
class PrivacyRequestCreated(DomainEvent):
    """An admin asked for a contact's export or erasure (``kind``)."""

    request_id: int
    kind: str
    contact_id: int
    requested_by_id: int | None


@dataclass(frozen=True)
class PrivacyRequestFulfilled(DomainEvent):
    """The request's job finished: the export's file is ready, or the contact is erased."""

    request_id: int
    kind: str
    contact_id: int
