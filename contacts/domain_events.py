"""Domain events of contacts and tags (published through ``core.event_bus``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.event_bus import DomainEvent


@dataclass(frozen=True)
class ContactCreated(DomainEvent):
    """A contact was created (by hand, by an import, or by a first message)."""

    contact_id: int


@dataclass(frozen=True)
class ContactUpdated(DomainEvent):
    """Fields, tags, owners or the blocked flag of a contact changed."""

    contact_id: int


@dataclass(frozen=True)
class TagChanged(DomainEvent):
    """A tag was created, renamed, recoloured, (de)activated or deleted."""

    tag_id: int
    deleted: bool = False
