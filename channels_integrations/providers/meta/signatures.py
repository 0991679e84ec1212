"""Webhook authenticity: Meta signs every event POST with the app secret.

``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the App Secret>``
https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads
"""

from __future__ import annotations

import hashlib
import hmac

from django.http import HttpRequest

from channels_integrations.providers.base import WebhookRejected

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta would send for ``body`` (used by tests and local tooling)."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def signature_is_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``header`` is the SHA-256 signature of ``body`` under ``app_secret``.

    Constant-time comparison; an empty secret never validates anything, so a connection saved
    without its app secret rejects every delivery instead of accepting forged ones.
    """
    if not app_secret or not header or not header.startswith(_PREFIX):
        return False
    received = header[len(_PREFIX) :].strip().lower()
    expected = sign(body, app_secret)[len(_PREFIX) :]
    return hmac.compare_digest(received.encode(), expected.encode())


def verify_signature(request: HttpRequest, app_secret: str) -> None:
    """Raise ``WebhookRejected`` unless the request carries a valid signature of its raw body."""
    if not signature_is_valid(request.body, request.headers.get(SIGNATURE_HEADER), app_secret):
        raise WebhookRejected("missing or invalid X-Hub-Signature-256")
