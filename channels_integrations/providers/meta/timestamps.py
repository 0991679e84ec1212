"""Meta timestamps: WhatsApp sends Unix seconds as strings, Messenger and Instagram send Unix
milliseconds as numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def from_seconds(value: Any) -> datetime | None:
    """An aware UTC datetime from Unix seconds (int or numeric string); None when absent/bad."""
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def from_millis(value: Any) -> datetime | None:
    """An aware UTC datetime from Unix milliseconds; None when absent/bad."""
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
