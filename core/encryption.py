"""Encryption of secrets at rest with the project's Fernet keys.

``settings.CREDENTIALS_ENCRYPTION_KEY`` is a comma-separated list of Fernet keys: the first one
encrypts, every one decrypts, so a key is rotated by putting the new key first, re-saving what
was encrypted and then dropping the old key. Production requires the setting; development and
tests derive a key from ``SECRET_KEY`` when it is empty. Channel credentials
(``connections.crypto``) and two-factor secrets (``accounts.two_factor``) both use these keys.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def encryption_keys() -> list[str]:
    """The configured keys, newest first; a key derived from SECRET_KEY when none is set."""
    configured = [
        key.strip() for key in settings.CREDENTIALS_ENCRYPTION_KEY.split(",") if key.strip()
    ]
    if configured:
        return configured
    digest = hashlib.sha256(b"tiktickets-credentials:" + settings.SECRET_KEY.encode()).digest()
    return [base64.urlsafe_b64encode(digest).decode()]


@cache
def fernet_for_keys(keys: tuple[str, ...]) -> MultiFernet:
    """Encrypts with the first of ``keys`` and decrypts with any of them."""
    return MultiFernet([Fernet(key.encode()) for key in keys])


def current_fernet() -> MultiFernet:
    """Encrypts with the newest configured key and decrypts with any of them."""
    return fernet_for_keys(tuple(encryption_keys()))
