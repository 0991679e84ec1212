"""Domain events of channel connections (published through ``core.event_bus``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.event_bus import DomainEvent


@dataclass(frozen=True)
class ConnectionStatusChanged(DomainEvent):
    """A connection became connected, failed, or was enabled/disabled."""

    connection_id: int


@dataclass(frozen=True)
class ConnectionQrCodeChanged(DomainEvent):
    """A QR-code connection's gateway offered a new QR code (or pairing code) to scan; the code
    itself is read from ``channels_integrations.services.sessions.connection_qr_current``."""

    connection_id: int


@dataclass(frozen=True)
class ConnectionSessionChanged(DomainEvent):
    """A QR-code connection's session changed state (``entry_id``: its history entry);
    ``dropped`` when a session that was open closed (admins are alerted)."""

    connection_id: int
    entry_id: int
    dropped: bool = False


@dataclass(frozen=True)
class WebchatVisitorTyping(DomainEvent):
    """A web chat visitor started or stopped typing on their open ticket. A signal, not a
    change: nothing is stored, and the subscriber relays it to the ticket's agents once."""

    ticket_id: int
    typing: bool


@dataclass(frozen=True)
class OutboundStatusUnmatched(DomainEvent):
    """A provider reported a status (``sent``, ``delivered``, ``read``, ``failed``) for a
    message id that no ticket message of the connection has: a message sent outside tickets
    (a campaign's) may be its owner. Published at every attempt to match it."""

    connection_id: int
    provider_message_id: str
    status: str
