"""A contact's picture from a provider's profile: stored in the tenant's private storage (never
a provider's URL on our pages), asked for at most daily (``CONTACT_AVATAR_REFRESH``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction

from accounts.avatars import AVATAR_MAX_BYTES, avatar_kind
from contacts.domain_events import ContactUpdated
from contacts.models import Contact
from core.event_bus import publish

logger = logging.getLogger(__name__)

CONTACT_AVATAR_REFRESH = timedelta(days=1)


def contact_avatar_due(contact: Contact, now: datetime) -> bool:
    """Whether the provider may be asked for the contact's picture again (no query)."""
    checked = contact.avatar_checked_at
    return checked is None or now - checked >= CONTACT_AVATAR_REFRESH


@transaction.atomic
def contact_avatar_store(*, contact: Contact, content: bytes | None, at: datetime) -> bool:
    """Keep ``content`` as the contact's picture when it is an image we accept (PNG, JPEG,
    WebP or GIF, at most ``AVATAR_MAX_BYTES``), replacing the previous file; None (the
    provider has no picture) keeps what the contact has. The check time is recorded in any
    case. Returns whether the picture changed."""
    current = Contact.objects.select_for_update().get(pk=contact.pk)
    current.avatar_checked_at = at
    fields = ["avatar_checked_at", "updated_at"]
    file = ContentFile(content or b"")
    kind = avatar_kind(file) if content and len(content) <= AVATAR_MAX_BYTES else None
    if content and kind is None:
        logger.info("Contact %s: the provider's picture is not an image we keep", contact.pk)
    old = current.avatar.name or ""
    if kind is not None:
        current.avatar.save(f"avatar.{kind[1]}", file, save=False)
        fields.append("avatar")
    current.save(update_fields=fields)
    contact.avatar, contact.avatar_checked_at = current.avatar, current.avatar_checked_at
    if kind is None:
        return False
    if old:
        storage = current.avatar.storage
        transaction.on_commit(lambda: storage.delete(old), robust=True)
    publish(ContactUpdated(contact_id=contact.pk))
    return True
