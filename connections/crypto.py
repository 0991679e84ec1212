"""Channel credentials at rest: Fernet encryption, and masking for anything shown to people.

``settings.CREDENTIALS_ENCRYPTION_KEY`` is a comma-separated list of Fernet keys: the first one
encrypts, every one decrypts, so a key is rotated by putting the new key first, re-saving the
connections (``manage.py credentials_rotate``) and then dropping the old key. Production requires
the setting; development and tests derive a key from ``SECRET_KEY`` when it is empty.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# The number of trailing characters a masked secret keeps: enough to tell two bots apart.
MASK_VISIBLE = 4


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted with any configured key."""


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
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(encryption_keys()))


def credentials_encrypt(values: dict[str, Any]) -> str:
    """A Fernet token of the JSON of ``values`` (empty string for no credentials)."""
    if not values:
        return ""
    plain = json.dumps(values, sort_keys=True, separators=(",", ":")).encode()
    return _current().encrypt(plain).decode()


def credentials_decrypt(token: str) -> dict[str, Any]:
    """The credentials stored as ``token``; ``CredentialsUnreadable`` with a wrong key."""
    if not token:
        return {}
    try:
        plain = _current().decrypt(token.encode())
    except InvalidToken as exc:
        raise CredentialsUnreadable("No configured key decrypts these credentials.") from exc
    values: dict[str, Any] = json.loads(plain)
    return values


def credentials_reencrypt(token: str) -> str:
    """The same credentials encrypted with the newest key (key rotation)."""
    if not token:
        return ""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialsUnreadable("No configured key decrypts these credentials.") from exc


def secret_mask(value: object) -> str:
    """``"••••"`` plus the last characters of a secret; short secrets are hidden entirely."""
    text = "" if value is None else str(value)
    if not text:
        return ""
    if len(text) <= MASK_VISIBLE * 3:
        return "••••"
    return "••••" + text[-MASK_VISIBLE:]


def credentials_masked(values: dict[str, Any], secret_fields: tuple[str, ...]) -> dict[str, Any]:
    """``values`` with every secret field masked; other fields (a phone number id) as they are."""
    return {
        key: secret_mask(value) if key in secret_fields else value for key, value in values.items()
    }
