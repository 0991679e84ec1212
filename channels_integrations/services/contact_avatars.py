"""Contacts' pictures from the providers that expose one (Telegram's profile photos, the
Messenger/Instagram User Profile API's ``profile_pic``): after a customer's message is stored,
``contact_avatar_enqueue`` hands the contact to ``contact_avatar_refresh_task`` when its
picture was not asked for in the last day; the task downloads the picture and keeps it in the
tenant's private storage (``contacts.services.avatars``). The pages show it through the
contact's visibility check, never by the provider's URL."""

from __future__ import annotations

import logging
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.avatars import AVATAR_MAX_BYTES
from channels_integrations.providers.base import ChannelProvider, ProviderError
from channels_integrations.providers.registry import UnknownProvider, provider_for
from connections.models import ChannelConnection
from contacts.models import Contact
from contacts.services.avatars import (
    CONTACT_AVATAR_REFRESH,
    contact_avatar_due,
    contact_avatar_store,
)

logger = logging.getLogger(__name__)


def _enqueue(contact_id: int, connection_id: int, external_id: str, picture_url: str) -> None:
    from channels_integrations.tasks import contact_avatar_refresh_task

    contact_avatar_refresh_task.delay(contact_id, connection_id, external_id, picture_url)


def contact_avatar_enqueue(
    *,
    provider: ChannelProvider,
    connection: ChannelConnection,
    contact: Contact,
    external_id: str,
    picture_url: str = "",
) -> bool:
    """After commit, refresh the contact's picture when the provider has pictures and the last
    ask is a day old (no query: the contact row is at hand); a burst of messages enqueues one
    task (a cache key of the day). Returns whether a task was enqueued."""
    if not provider.contact_avatars or not contact_avatar_due(contact, timezone.now()):
        return False
    key = f"contact-avatar:{contact.pk}"
    if not cache.add(key, 1, int(CONTACT_AVATAR_REFRESH.total_seconds())):
        return False
    transaction.on_commit(
        partial(_enqueue, contact.pk, connection.pk, external_id, picture_url), robust=True
    )
    return True


def contact_avatar_refresh(
    *, contact_id: int, connection_id: int, external_id: str, picture_url: str = ""
) -> str:
    """Ask the provider for the contact's picture and keep it: ``stored``, ``none`` (no
    picture, or not an image we keep), ``fresh`` (asked within the day), ``failed`` (the
    provider refused or failed; asked again after a day) or ``skipped`` (gone)."""
    contact = Contact.objects.filter(pk=contact_id).first()
    connection = ChannelConnection.objects.filter(pk=connection_id).first()
    if contact is None or connection is None:
        return "skipped"
    now = timezone.now()
    if not contact_avatar_due(contact, now):
        return "fresh"
    try:
        provider = provider_for(connection.provider)
    except UnknownProvider:
        return "skipped"
    try:
        content = provider.contact_avatar(
            connection, external_id, max_bytes=AVATAR_MAX_BYTES, picture_url=picture_url
        )
    except ProviderError as exc:
        logger.info("No picture for contact %s on %s: %s", contact.pk, connection.provider, exc)
        contact_avatar_store(contact=contact, content=None, at=now)
        return "failed"
    stored = contact_avatar_store(contact=contact, content=content, at=now)
    return "stored" if stored else "none"
