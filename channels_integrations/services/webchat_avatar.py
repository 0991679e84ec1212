"""The web chat widget's avatar: an image an admin uploads on the connection's page, shown in the
widget's header.

The image is checked by its content (PNG, JPEG or WebP signatures; SVG and anything else
refused) and size before anything is stored, then kept under the tenant's private prefix with an
unguessable name. The connection's ``details`` name it (``AVATAR_DETAIL``); the provider keeps
that key when its settings are checked again. A replaced or removed image is deleted once the
change is committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.avatars import avatar_kind
from accounts.errors import AdminRequired
from accounts.models import User
from audit.services import audit_record
from channels_integrations.providers.webchat.provider import AVATAR_DETAIL
from connections.models import ChannelConnection
from core.exceptions import FieldValidationError
from tenants.tenancy import tenant_media_owns, tenant_media_path

AVATAR_MAX_BYTES = 512 * 1024
AVATAR_AREA = "webchat-avatars"
# Recognised by their first bytes (accounts.avatars); an animated GIF is not a header icon.
AVATAR_MIME_TYPES = {"image/png", "image/jpeg", "image/webp"}


@dataclass(frozen=True)
class Avatar:
    name: str  # storage path, under the tenant's prefix
    mime: str

    @property
    def version(self) -> str:
        """The stored file's random stem: the avatar URL carries it, so a replaced image is
        fetched anew despite caches."""
        return self.name.rsplit("/", 1)[-1].split(".")[0]


def webchat_avatar_check(upload: UploadedFile) -> tuple[bytes, str, str]:
    """The upload's bytes, MIME type and extension, or a validation error under ``avatar``
    (too large, or not a PNG, JPEG or WebP image by its content)."""
    upload.seek(0)
    content = upload.read(AVATAR_MAX_BYTES + 1)
    upload.seek(0)
    if len(content) > AVATAR_MAX_BYTES:
        message = _("The image is too large: at most 512 KB.")
        raise FieldValidationError({"avatar": [message]}, message=message)
    kind = avatar_kind(upload)
    if kind is None or kind[0] not in AVATAR_MIME_TYPES:
        message = _("Use a PNG, JPEG or WebP image.")
        raise FieldValidationError({"avatar": [message]}, message=message)
    return content, kind[0], kind[1]


def webchat_avatar_get(connection: ChannelConnection) -> Avatar | None:
    """The connection's avatar, if one is set and lies under this tenant's avatar folder."""
    value = connection.details.get(AVATAR_DETAIL) if connection.provider == "webchat" else None
    if not isinstance(value, dict):
        return None
    name, mime = str(value.get("name") or ""), str(value.get("mime") or "")
    if not tenant_media_owns(name, AVATAR_AREA):
        return None
    return Avatar(name=name, mime=mime)


def _avatar_store(connection: ChannelConnection, value: dict[str, str] | None) -> None:
    """Set (or, with None, clear) the connection's avatar; the previous file is deleted once
    the change is committed."""
    with transaction.atomic():
        locked = ChannelConnection.objects.select_for_update().get(pk=connection.pk)
        previous = webchat_avatar_get(locked)
        details = dict(locked.details)
        if value is None:
            details.pop(AVATAR_DETAIL, None)
        else:
            details[AVATAR_DETAIL] = value
        ChannelConnection.objects.filter(pk=locked.pk).update(details=details)
        connection.details = details
        if previous is not None:
            transaction.on_commit(partial(default_storage.delete, previous.name))


def webchat_avatar_set(*, connection: ChannelConnection, by: User, upload: UploadedFile) -> Avatar:
    """Check and store a new avatar for a web chat connection, replacing any previous one."""
    if not by.is_admin:
        raise AdminRequired()
    if connection.provider != "webchat":
        raise FieldValidationError({"avatar": [_("Only a web chat has an avatar.")]})
    content, mime, extension = webchat_avatar_check(upload)
    name = default_storage.save(
        tenant_media_path(AVATAR_AREA, f"{uuid.uuid4().hex}.{extension}"), ContentFile(content)
    )
    try:
        with transaction.atomic():
            _avatar_store(connection, {"name": name, "mime": mime})
            audit_record(
                "connection.avatar_set",
                actor=by,
                obj=connection,
                extra={"mime": mime, "bytes": len(content)},
            )
    except Exception:
        default_storage.delete(name)
        raise
    return Avatar(name=name, mime=mime)


def webchat_avatar_remove(*, connection: ChannelConnection, by: User) -> None:
    """The widget goes back to showing no avatar; the file is deleted."""
    if not by.is_admin:
        raise AdminRequired()
    with transaction.atomic():
        _avatar_store(connection, None)
        audit_record("connection.avatar_removed", actor=by, obj=connection)
