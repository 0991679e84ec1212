"""The one place the Meta adapters read a connection's credentials from.

``ChannelConnection.credentials`` decrypts them (they are encrypted at rest,
connections/crypto.py); if storage changes again, only this function changes.
"""

from __future__ import annotations

from typing import Any

from connections.models import ChannelConnection


def credentials_of(connection: ChannelConnection) -> dict[str, Any]:
    """The connection's validated credentials (see each provider's ``credentials_serializer``)."""
    return dict(connection.credentials or {})


# A Graph object id (phone number, Page, Instagram account, WhatsApp Business Account).
GRAPH_ID = r"^\d{1,32}$"
