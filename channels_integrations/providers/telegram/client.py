"""A small Telegram Bot API client over httpx: one POST per method, errors mapped to
``ProviderError`` (temporary or permanent).

Bot API: https://core.telegram.org/bots/api#making-requests. Every answer is
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}``. The bot token is part of every URL, so it is scrubbed from
every error detail we keep (and httpx's request log is silenced in settings).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import httpx
from django.conf import settings

from channels_integrations.providers.base import ProviderError

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@cache
def _http() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT)


def _error_code(status: int, description: str) -> str:
    lowered = description.lower()
    if status == 429:
        return "rate_limited"
    if status in (401, 404):
        return "unauthorized"
    if "blocked by the user" in lowered:
        return "bot_blocked"
    if "chat not found" in lowered:
        return "chat_not_found"
    if "file is too big" in lowered:
        return "media_too_large"
    if status == 403:
        return "forbidden"
    if status >= 500:
        return "unavailable"
    return "bad_request"


class TelegramClient:
    """Calls the Bot API as one bot (its token)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.base = settings.TELEGRAM_API_BASE_URL.rstrip("/")

    def _scrub(self, text: str) -> str:
        return text.replace(self.token, "<token>") if self.token else text

    def call(
        self,
        method: str,
        *,
        data: dict[str, Any] | None = None,
        files: dict[str, tuple[str, Any, str]] | None = None,
    ) -> Any:
        """The ``result`` of a Bot API method; ``ProviderError`` otherwise.

        JSON body without files; multipart (form fields + files) with them. 429 and 5xx and
        network errors are temporary; everything else the API refuses is permanent.
        """
        url = f"{self.base}/bot{self.token}/{method}"
        try:
            if files:
                form = {key: _form_value(value) for key, value in (data or {}).items()}
                response = _http().post(url, data=form, files=files)
            else:
                response = _http().post(url, json=data or {})
        except httpx.TransportError as exc:
            raise ProviderError(
                self._scrub(f"{type(exc).__name__}: {exc}"), permanent=False, code="network_error"
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 200 and isinstance(body, dict) and body.get("ok"):
            return body.get("result")
        status = (
            int(body.get("error_code") or response.status_code)
            if isinstance(body, dict)
            else response.status_code
        )
        description = str(body.get("description", "")) if isinstance(body, dict) else ""
        description = self._scrub(description or f"HTTP {response.status_code}")
        parameters = body.get("parameters") or {} if isinstance(body, dict) else {}
        retry_after = parameters.get("retry_after")
        raise ProviderError(
            description,
            permanent=not (status == 429 or status >= 500),
            code=_error_code(status, description),
            retry_after=float(retry_after) if retry_after else None,
        )

    def download(self, file_path: str, *, max_bytes: int) -> bytes:
        """The file at ``file_path`` (from getFile), refusing more than ``max_bytes``."""
        url = f"{self.base}/file/bot{self.token}/{file_path}"
        try:
            with _http().stream("GET", url) as response:
                if response.status_code >= 500:
                    raise ProviderError(
                        f"file download: HTTP {response.status_code}",
                        permanent=False,
                        code="unavailable",
                    )
                if response.status_code != 200:
                    raise ProviderError(
                        f"file download: HTTP {response.status_code}",
                        permanent=True,
                        code="file_unavailable",
                    )
                chunks: list[bytes] = []
                received = 0
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if received > max_bytes:
                        raise ProviderError(
                            "file larger than allowed", permanent=True, code="media_too_large"
                        )
                    chunks.append(chunk)
        except httpx.TransportError as exc:
            raise ProviderError(
                self._scrub(f"{type(exc).__name__}: {exc}"), permanent=False, code="network_error"
            ) from exc
        return b"".join(chunks)


def _form_value(value: Any) -> str:
    """Multipart fields are strings; nested objects (reply_parameters) go as JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
