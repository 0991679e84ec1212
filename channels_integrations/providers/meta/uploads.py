"""The stored file of an outbound message, opened for an upload to Graph (the WhatsApp media
endpoint, the Send API's ``filedata``): files always travel in the request, so no address of our
private media is ever given out."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from channels_integrations.providers.base import OutboundMessage, ProviderError


@contextmanager
def outbound_file(message: OutboundMessage) -> Iterator[tuple[str, IO[bytes], str]]:
    """``(filename, open file, MIME type)`` of the message's media, closed when the block ends;
    a permanent ``ProviderError`` when storage no longer has the file."""
    filename = message.media_filename or message.media_name.rsplit("/", 1)[-1]
    mime_type = (
        message.media_mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    )
    try:
        file = default_storage.open(message.media_name, "rb")
    except FileNotFoundError as exc:
        raise ProviderError(
            _("The file to send is missing from storage."), permanent=True, code="media_missing"
        ) from exc
    with file:
        yield filename, file, mime_type
