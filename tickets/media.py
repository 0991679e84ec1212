"""Message media: what agents may upload, and serving stored files to agents who may see them.

Files are stored through ``Message.media`` (``tenants/<schema>/messages/<uuid>/<name>`` under the
private MEDIA_ROOT, never routed, or the same key in a private bucket); the only way to read one
is ``media_response`` behind the authorised API view: streamed from the local disk, or a redirect
to a short-lived signed URL on the object store (``core.object_storage``).
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass

from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponseBase, HttpResponseRedirect
from django.utils.text import get_valid_filename

from core.object_storage import signed_url_storage
from tenants.tenancy import tenant_media_owns
from tickets.errors import MediaNotFound, MediaTooLarge, MediaTypeNotAllowed
from tickets.models import Message

# WhatsApp accepts at most 16 MB for audio and video; we use one limit for every kind.
MEDIA_MAX_BYTES = 16 * 1024 * 1024

Kind = Message.Kind

ALLOWED_MIME_TYPES: dict[str, str] = {
    "image/jpeg": Kind.IMAGE,
    "image/png": Kind.IMAGE,
    "image/webp": Kind.IMAGE,
    "image/gif": Kind.IMAGE,
    "audio/ogg": Kind.AUDIO,
    "audio/mpeg": Kind.AUDIO,
    "audio/mp4": Kind.AUDIO,
    "audio/aac": Kind.AUDIO,
    "audio/amr": Kind.AUDIO,
    "audio/webm": Kind.AUDIO,
    "audio/wav": Kind.AUDIO,
    "video/mp4": Kind.VIDEO,
    "video/3gpp": Kind.VIDEO,
    "video/webm": Kind.VIDEO,
    "video/quicktime": Kind.VIDEO,
    "application/pdf": Kind.DOCUMENT,
    "application/msword": Kind.DOCUMENT,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": Kind.DOCUMENT,
    "application/vnd.ms-excel": Kind.DOCUMENT,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": Kind.DOCUMENT,
    "application/vnd.ms-powerpoint": Kind.DOCUMENT,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": Kind.DOCUMENT,
    "application/vnd.oasis.opendocument.text": Kind.DOCUMENT,
    "application/vnd.oasis.opendocument.spreadsheet": Kind.DOCUMENT,
    "application/zip": Kind.DOCUMENT,
    "text/plain": Kind.DOCUMENT,
    "text/csv": Kind.DOCUMENT,
}

# Extensions that name a video container, whose audio-only form has its own MIME type.
_AUDIO_ONLY = {"video/webm": "audio/webm", "video/mp4": "audio/mp4"}

# ``Message.media_error`` while an announced file is still being downloaded (retries run); the
# message is shown at once and the file fills in when it arrives.
MEDIA_LOADING = "media_loading"

# Shown inline by the browser; everything else is downloaded.
_INLINE_KINDS = {Kind.IMAGE, Kind.AUDIO, Kind.VIDEO}


@dataclass(frozen=True)
class MediaInfo:
    """A checked upload: safe file name, MIME type from the allow-list, message kind, size."""

    name: str
    mime: str
    kind: str
    size: int


def media_name_clean(name: str) -> str:
    """A file name without directories or characters a file system or header would mind."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    try:
        cleaned = get_valid_filename(base)
    except Exception:  # SuspiciousFileOperation for names like ".." or ""
        cleaned = ""
    return cleaned[:200] or "file"


def media_display_name(name: str) -> str:
    """The name a file is shown and downloaded under: the sender's own name (spaces, accents
    and all) without directories and without control or formatting characters (a right-to-left
    override could disguise ``gpj.exe`` as ``exe.jpg``). The stored path uses
    ``media_name_clean`` instead; ``Content-Disposition`` encodes this one (RFC 6266)."""
    base = os.path.basename(name.replace("\\", "/"))
    shown = "".join(char for char in base if char.isprintable()).strip()
    return shown[:255] or "file"


def media_validate(*, file: File, name: str = "", mime: str = "") -> MediaInfo:
    """Check an upload before anything is stored: size limit, MIME type allowed, and a file
    extension that does not claim another type than the declared one.

    ``mime`` defaults to the upload's declared content type, then to the extension's type.
    """
    size = file.size or 0
    if size > MEDIA_MAX_BYTES:
        raise MediaTooLarge(extra={"max_bytes": MEDIA_MAX_BYTES, "size": size})
    clean_name = media_name_clean(name or file.name or "")
    declared = (mime or getattr(file, "content_type", "") or "").split(";")[0].strip().lower()
    guessed = (mimetypes.guess_type(clean_name)[0] or "").lower()
    if declared in {"", "application/octet-stream"}:
        declared = guessed
    kind = ALLOWED_MIME_TYPES.get(declared)
    if kind is None:
        raise MediaTypeNotAllowed(extra={"mime": declared})
    # "photo.html" declared as image/png would be downloaded as HTML: refuse the mismatch. A
    # container named for video may hold sound alone (a browser's "recording.webm").
    if guessed and ALLOWED_MIME_TYPES.get(guessed) != kind and _AUDIO_ONLY.get(guessed) != declared:
        raise MediaTypeNotAllowed(extra={"mime": declared, "extension_mime": guessed})
    return MediaInfo(name=clean_name, mime=declared, kind=kind, size=size)


def media_response(message: Message) -> HttpResponseBase:
    """Stream a message's file (the caller already checked the agent may see its ticket)."""
    if message.deleted_at is not None:
        raise MediaNotFound()
    return file_response(
        message.media,
        filename=message.media_name,
        mime=message.media_mime,
        inline=message.kind in _INLINE_KINDS,
    )


def file_response(
    file: FieldFile, *, filename: str = "", mime: str = "", inline: bool
) -> HttpResponseBase:
    """Serve a stored tenant file with headers that keep browsers from executing it: streamed
    from the local disk, or a redirect to a signed URL valid ``MEDIA_URL_EXPIRY_SECONDS`` on the
    object store (which then answers with the same type and disposition, from its own origin).

    The stored path must lie under the current tenant's prefix: a row can never make another
    tenant's file readable, even if its path were tampered with.
    """
    name = (file.name if file else "") or ""
    if not tenant_media_owns(name):
        raise MediaNotFound()
    basename = os.path.basename(name)
    mime = mime or mimetypes.guess_type(basename)[0] or "application/octet-stream"
    object_store = signed_url_storage(file.storage)
    if object_store is not None:
        url = object_store.signed_download_url(
            name, filename=filename or basename, mime=mime, inline=inline
        )
        redirect = HttpResponseRedirect(url)
        # The link expires: neither the browser nor a proxy may keep the redirect.
        redirect["Cache-Control"] = "private, no-store"
        redirect["Referrer-Policy"] = "no-referrer"
        return redirect
    try:
        handle = file.open("rb")
    except OSError as exc:
        raise MediaNotFound() from exc
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=filename or basename,
        content_type=mime,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
