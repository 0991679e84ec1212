"""What a profile photo may be: a small PNG, JPEG, WebP or GIF, recognised by its first bytes
(the declared type and the file name are the uploader's word, not proof)."""

from __future__ import annotations

from django.core.files import File

AVATAR_MAX_BYTES = 2 * 1024 * 1024

# (magic prefix, offset of a second marker or None, second marker, MIME, extension)
_SIGNATURES: tuple[tuple[bytes, int | None, bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", None, b"", "image/png", "png"),
    (b"\xff\xd8\xff", None, b"", "image/jpeg", "jpg"),
    (b"GIF87a", None, b"", "image/gif", "gif"),
    (b"GIF89a", None, b"", "image/gif", "gif"),
    (b"RIFF", 8, b"WEBP", "image/webp", "webp"),
)


def avatar_kind(file: File) -> tuple[str, str] | None:
    """``(mime, extension)`` of an image we accept as a photo, or None."""
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    for magic, offset, marker, mime, extension in _SIGNATURES:
        if not head.startswith(magic):
            continue
        if offset is None or head[offset : offset + len(marker)] == marker:
            return mime, extension
    return None
