"""A small synchronous Graph API client shared by the Meta adapters (plain httpx).

The base URL and version come from ``settings.META_GRAPH_API_URL``, read on every call. The
token travels in the ``Authorization`` header, never in a URL, so it stays out of access logs.
"""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from channels_integrations.providers.base import ProviderError
from channels_integrations.providers.meta.errors import error_from_response, network_error

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# Uploads and downloads of files up to the providers' limits (100 MB documents on WhatsApp).
TRANSFER_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
CODE_MEDIA_TOO_LARGE = "media_too_large"
CODE_MEDIA_UNAVAILABLE = "media_unavailable"


def graph_url(path: str) -> str:
    """Absolute URL of a Graph path such as ``"123/messages"``."""
    return f"{settings.META_GRAPH_API_URL.rstrip('/')}/{path.lstrip('/')}"


def too_large(max_bytes: int) -> ProviderError:
    return ProviderError(
        _("The file is larger than the %(limit)s bytes allowed.") % {"limit": max_bytes},
        permanent=True,
        code=CODE_MEDIA_TOO_LARGE,
    )


class GraphClient:
    """Graph calls made with one access token (a WhatsApp system user or a Page token)."""

    def __init__(self, access_token: str) -> None:
        self._headers = {"Authorization": f"Bearer {access_token}"}

    def get(self, path: str, *, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._request("GET", path, params=params)

    def post(
        self,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, tuple[str, Any, str]] | None = None,
    ) -> dict[str, Any]:
        """POST a JSON body, or a multipart form when ``files`` is given."""
        return self._request("POST", path, json=json, data=data, files=files)

    def delete(self, path: str, *, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._request("DELETE", path, params=params)

    def get_next(self, url: str) -> dict[str, Any]:
        """Follow a ``paging.next`` URL of a previous answer; it must be on the Graph API base
        (the token is never sent anywhere else)."""
        base = graph_url("")
        if not url.startswith(base):
            raise ProviderError(
                _("Meta answered with a next page outside the Graph API."),
                permanent=True,
                code="provider_unavailable",
            )
        return self._request("GET", url[len(base) :])

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        timeout = TRANSFER_TIMEOUT if kwargs.get("files") else TIMEOUT
        try:
            with httpx.Client(timeout=timeout) as client:
                response = client.request(method, graph_url(path), headers=self._headers, **kwargs)
        except httpx.HTTPError as exc:
            raise network_error(exc) from exc
        if response.is_error:
            raise error_from_response(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderError(
                _("Meta answered with a body that is not JSON."),
                permanent=False,
                code="provider_unavailable",
            ) from exc
        if not isinstance(body, dict):
            raise ProviderError(
                _("Meta answered with an unexpected body."),
                permanent=False,
                code="provider_unavailable",
            )
        return body

    def download(self, url: str, *, max_bytes: int) -> tuple[bytes, str]:
        """Fetch a media URL with this client's token (WhatsApp media URLs require it)."""
        return download(url, max_bytes=max_bytes, headers=self._headers)


def download(
    url: str, *, max_bytes: int, headers: dict[str, str] | None = None
) -> tuple[bytes, str]:
    """Stream ``url`` into memory, refusing more than ``max_bytes``: before the transfer when the
    size is announced (``Content-Length``), and mid-stream otherwise. Returns the content and
    its MIME type (without parameters)."""
    if not url.startswith("https://"):
        raise ProviderError(
            _("The media URL is not an HTTPS URL."), permanent=True, code=CODE_MEDIA_UNAVAILABLE
        )
    try:
        with (
            httpx.Client(timeout=TRANSFER_TIMEOUT, follow_redirects=True) as client,
            client.stream("GET", url, headers=headers or {}) as response,
        ):
            if response.is_error:
                response.read()
                if response.status_code in (404, 410, 403):
                    raise ProviderError(
                        _("The media is no longer available at Meta (HTTP %(status)s).")
                        % {"status": response.status_code},
                        permanent=True,
                        code=CODE_MEDIA_UNAVAILABLE,
                    )
                raise error_from_response(response)
            announced = response.headers.get("Content-Length")
            if announced and announced.isdigit() and int(announced) > max_bytes:
                raise too_large(max_bytes)
            chunks: list[bytes] = []
            received = 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise too_large(max_bytes)
                chunks.append(chunk)
            mime_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    except httpx.HTTPError as exc:
        raise network_error(exc) from exc
    return b"".join(chunks), mime_type
