"""Writes of channel connections that need no provider: key rotation of their credentials.

Creating, checking, enabling and disabling a connection talk to its provider and keep webhook
routes in step; those services live with the pipelines (channels_integrations/services/).
"""

from __future__ import annotations

from django.db import transaction

from connections.crypto import credentials_reencrypt
from connections.models import ChannelConnection


@transaction.atomic
def connections_credentials_reencrypt() -> int:
    """Re-encrypt the current tenant's credentials with the newest key; returns how many rows.

    Part of a key rotation: put the new key first in CREDENTIALS_ENCRYPTION_KEY, run this in
    every tenant (``manage.py credentials_rotate``), then drop the old key.
    """
    changed = 0
    for connection in ChannelConnection.objects.select_for_update().exclude(
        credentials_encrypted=""
    ):
        connection.credentials_encrypted = credentials_reencrypt(connection.credentials_encrypted)
        connection.save(update_fields=["credentials_encrypted", "updated_at"])
        changed += 1
    return changed
