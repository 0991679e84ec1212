"""Domain events of tenants (published through ``core.event_bus``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.event_bus import DomainEvent


@dataclass(frozen=True)
class TenantSettingsChanged(DomainEvent):
    """An admin changed some of the tenant's settings (``keys``: the ones given)."""

    keys: tuple[str, ...]
