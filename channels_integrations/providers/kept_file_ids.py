"""Provider ids of files we already sent, so a file sent again names its id instead of being
uploaded again (a campaign's image, to each recipient).

A stored file's name is never reused (every path the app writes holds a fresh uuid), so the
name identifies the content. Ids are kept per provider account (a WhatsApp number's media
store, a Telegram bot's files: neither is valid for another account) in the tenant's cache,
whose keys carry the schema, for ``KEPT_SECONDS``.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

# WhatsApp Cloud keeps an upload 30 days; a Telegram file_id has no documented expiry.
KEPT_SECONDS = 24 * 3600


class KeptFileIds:
    """One send's view of the kept ids of ``account`` (``reuse=False``: read none, keep new)."""

    def __init__(self, provider: str, account: str, *, reuse: bool = True) -> None:
        self.prefix = f"kept-file-id:{provider}:{account}"
        self.reuse = reuse
        self._used: list[str] = []

    def _key(self, media_name: str) -> str:
        return f"{self.prefix}:{hashlib.sha256(media_name.encode()).hexdigest()[:40]}"

    def get(self, media_name: str) -> str | None:
        if not self.reuse or not media_name:
            return None
        key = self._key(media_name)
        kept = cache.get(key)
        if not isinstance(kept, str) or not kept:
            return None
        self._used.append(key)
        return kept

    def keep(self, media_name: str, file_id: str) -> None:
        if media_name and file_id:
            cache.set(self._key(media_name), file_id, KEPT_SECONDS)

    def forget_used(self) -> bool:
        """Drop the kept ids this send named (the provider refused the send); whether any."""
        if not self._used:
            return False
        cache.delete_many(self._used)
        self._used = []
        return True
