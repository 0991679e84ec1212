"""Download of a file an integrator names by URL (the compatible API's ``mediaUrl``):
bounded in size and time, refused for internal addresses, no redirects."""

from __future__ import annotations

import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

import httpx
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from integrations.errors import MediaDownloadFailed
from integrations.safe_http import ResponseTooLarge, safe_request


def media_download(url: str) -> SimpleUploadedFile:
    """The file at ``url`` with its name and content type; 400 ``unsafe_url`` for an internal
    address, 400 ``media_download_failed`` (``extra["reason"]``) when the answer is not a 2xx,
    is a redirect, is larger than EXTERNAL_MEDIA_MAX_BYTES or slower than
    EXTERNAL_MEDIA_TIMEOUT_SECONDS."""
    max_bytes = settings.EXTERNAL_MEDIA_MAX_BYTES
    try:
        answer = safe_request(
            "GET", url, timeout=settings.EXTERNAL_MEDIA_TIMEOUT_SECONDS, max_bytes=max_bytes
        )
    except ResponseTooLarge as exc:
        raise MediaDownloadFailed(extra={"reason": "too_large", "max_bytes": max_bytes}) from exc
    except httpx.TimeoutException as exc:
        raise MediaDownloadFailed(extra={"reason": "timeout"}) from exc
    except httpx.HTTPError as exc:
        raise MediaDownloadFailed(extra={"reason": "unreachable"}) from exc
    if 300 <= answer.status_code < 400:
        raise MediaDownloadFailed(extra={"reason": "redirect", "status": answer.status_code})
    if not 200 <= answer.status_code < 300:
        raise MediaDownloadFailed(extra={"reason": "status", "status": answer.status_code})
    mime = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    name = posixpath.basename(unquote(urlsplit(url).path)) or "file"
    if "." not in name:
        name += mimetypes.guess_extension(mime) or ""
    return SimpleUploadedFile(name, answer.body, content_type=mime or "application/octet-stream")
