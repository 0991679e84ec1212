"""Channel credentials at rest: Fernet encryption, and masking for anything shown to people.

The keys are the project's (``core.encryption``): a key is rotated by putting the new key first,
re-saving the connections (``manage.py credentials_rotate``) and then dropping the old key.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import InvalidToken

from core.encryption import current_fernet as _current
from core.encryption import encryption_keys, fernet_for_keys

# The number of trailing characters a masked secret keeps: enough to tell two bots apart.
MASK_VISIBLE = 4


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted with any configured key."""


def credentials_encrypt(values: dict[str, Any]) -> str:
    """A Fernet token of the JSON of ``values`` (empty string for no credentials)."""
    if not values:
        return ""
    plain = json.dumps(values, sort_keys=True, separators=(",", ":")).encode()
    return _current().encrypt(plain).decode()


def credentials_decrypt(token: str) -> dict[str, Any]:
    """The credentials stored as ``token`` (a fresh dict); ``CredentialsUnreadable`` with a
    wrong key."""
    if not token:
        return {}
    values: dict[str, Any] = json.loads(_plain(tuple(encryption_keys()), token))
    return values


@lru_cache(maxsize=1024)
def _plain(keys: tuple[str, ...], token: str) -> bytes:
    """The decrypted JSON of ``token`` under ``keys``, kept for the process: a token always
    decrypts to the same text under the same keys, and every webhook's verification reads its
    connection's credentials (0.1-0.2 ms of CPU a decryption). A key dropped from the settings
    changes ``keys``: what only that key decrypted is refused again."""
    try:
        return fernet_for_keys(keys).decrypt(token.encode())
    except InvalidToken as exc:
        raise CredentialsUnreadable("No configured key decrypts these credentials.") from exc


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
