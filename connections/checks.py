"""System checks of the connections app: the credentials encryption key must be usable.

The check ids keep the prefix they had when this lived in the channels app: deployments may
silence or monitor them by id.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register()
def check_credentials_encryption_key(**kwargs: Any) -> list[CheckMessage]:
    """Every configured key must be a Fernet key (32 url-safe base64-encoded bytes)."""
    errors: list[CheckMessage] = []
    keys = [key.strip() for key in settings.CREDENTIALS_ENCRYPTION_KEY.split(",") if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(
                Error(
                    f"CREDENTIALS_ENCRYPTION_KEY entry {position} is not a Fernet key.",
                    hint="Generate one with: python3 -c 'import base64, os; "
                    "print(base64.urlsafe_b64encode(os.urandom(32)).decode())'",
                    id="channels_integrations.E001",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_credentials_encryption_key_set(**kwargs: Any) -> list[CheckMessage]:
    """In production the key is set explicitly, never derived from SECRET_KEY."""
    if settings.CREDENTIALS_ENCRYPTION_KEY.strip():
        return []
    return [
        Error(
            "CREDENTIALS_ENCRYPTION_KEY is empty: channel credentials would be encrypted with a "
            "key derived from SECRET_KEY.",
            id="channels_integrations.E002",
        )
    ]
