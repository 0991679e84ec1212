"""Graph API error payloads → ``ProviderError`` (temporary: retried; permanent: shown to agents).

Error shape: ``{"error": {"message", "type", "code", "error_subcode", "error_data",
"is_transient", "fbtrace_id"}}``.
Graph errors: https://developers.facebook.com/docs/graph-api/guides/error-handling
Rate limits: https://developers.facebook.com/docs/graph-api/overview/rate-limiting
WhatsApp codes: https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
Messenger codes: https://developers.facebook.com/documentation/business-messaging/messenger-platform/error-codes
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from django.utils.translation import gettext as _

from channels_integrations.providers.base import ProviderError

# Throttling: 4 app, 17 user, 32 page, 613 hourly calls, 80001/80002/80006/80007 business use
# case limits (Pages, Instagram, Messenger, WhatsApp), 130429 Cloud API throughput, 131048 spam
# rate limit, 131056 too many messages to the same customer.
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80006, 80007, 130429, 131048, 131056})
# Meta's own trouble: 1 unknown, 2 service, 131000 something went wrong, 131016 service
# unavailable, 133004 server temporarily unavailable.
TEMPORARY_CODES = frozenset({1, 2, 131000, 131016, 133004})
# The token or its permissions: 0 auth, 3 capability, 10 permission denied, 102 session, 190
# token expired/invalid, 200-299 permissions, 368 blocked for policy, 131005 access denied,
# 131031 account locked.
AUTH_CODES = frozenset({0, 3, 10, 102, 190, 368, 131005, 131031, *range(200, 300)})
# The recipient cannot be reached: 551 person unavailable (Messenger), 131021 recipient is the
# sender, 131026 undeliverable, 131030 not in the allowed list (test numbers), 133010 number
# not registered.
RECIPIENT_CODES = frozenset({551, 131021, 131026, 131030, 133010})
# (code, subcode) of the Messenger/Instagram 24-hour window: "sent outside of allowed window".
MESSAGING_WINDOW = (10, 2018278)
# (code, subcode) "No matching user found" (the PSID/IGSID is unknown to this page).
NO_MATCHING_USER = (100, 2018001)
WHATSAPP_WINDOW_CLOSED = 131047

CODE_WHATSAPP_WINDOW_CLOSED = "whatsapp_window_closed"
CODE_MESSAGING_WINDOW_CLOSED = "messaging_window_closed"
CODE_AUTH = "meta_auth_failed"
CODE_RECIPIENT = "meta_invalid_recipient"
CODE_RATE_LIMITED = "rate_limited"
CODE_UNAVAILABLE = "provider_unavailable"
CODE_NETWORK = "network_error"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait, from ``Retry-After`` or the business use case usage header
    (``estimated_time_to_regain_access`` is in minutes)."""
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(float(header), 0.0)
        except ValueError:
            pass
    usage = response.headers.get("X-Business-Use-Case-Usage")
    if not usage:
        return None
    try:
        data = json.loads(usage)
    except ValueError:
        return None
    minutes = [
        _int(item.get("estimated_time_to_regain_access")) or 0
        for items in (data.values() if isinstance(data, dict) else [])
        if isinstance(items, list)
        for item in items
        if isinstance(item, dict)
    ]
    longest = max(minutes, default=0)
    return float(longest * 60) if longest > 0 else None


def graph_error_payload(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of a Graph response, or ``{}`` when the body has none."""
    try:
        data = response.json()
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _describe(error: dict[str, Any]) -> str:
    message = str(error.get("message") or "")
    error_data = error.get("error_data")
    details = str(error_data.get("details") or "") if isinstance(error_data, dict) else ""
    if details and details not in message:
        message = f"{message} ({details})" if message else details
    return message or _("no error message")


def error_from_response(response: httpx.Response) -> ProviderError:
    """Classify a failed Graph response."""
    error = graph_error_payload(response)
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    message = _describe(error)
    status = response.status_code

    if code == WHATSAPP_WINDOW_CLOSED:
        return ProviderError(
            _(
                "More than 24 hours have passed since the customer's last message: WhatsApp "
                "only accepts an approved template message now."
            ),
            permanent=True,
            code=CODE_WHATSAPP_WINDOW_CLOSED,
        )
    if (code, subcode) == MESSAGING_WINDOW:
        return ProviderError(
            _(
                "More than 24 hours have passed since the customer's last message: Meta does "
                "not allow a free-form reply now."
            ),
            permanent=True,
            code=CODE_MESSAGING_WINDOW_CLOSED,
        )
    if code in RATE_LIMIT_CODES or status == 429:
        return ProviderError(
            _("Meta rate limit reached (%(message)s).") % {"message": message},
            permanent=False,
            code=CODE_RATE_LIMITED,
            retry_after=_retry_after(response),
        )
    if code in TEMPORARY_CODES or error.get("is_transient") is True or status >= 500:
        return ProviderError(
            _("Meta is temporarily unavailable (HTTP %(status)s: %(message)s).")
            % {"status": status, "message": message},
            permanent=False,
            code=CODE_UNAVAILABLE,
            retry_after=_retry_after(response),
        )
    if code in AUTH_CODES or status in (401, 403):
        return ProviderError(
            _(
                "Meta refused the access token or its permissions (%(message)s). Check the "
                "channel's credentials."
            )
            % {"message": message},
            permanent=True,
            code=CODE_AUTH,
        )
    if code in RECIPIENT_CODES or (code, subcode) == NO_MATCHING_USER:
        return ProviderError(
            _("Meta cannot deliver to this recipient (%(message)s).") % {"message": message},
            permanent=True,
            code=CODE_RECIPIENT,
        )
    return ProviderError(
        _("Meta rejected the request (%(message)s).") % {"message": message},
        permanent=True,
        code=f"meta_{code}" if code is not None else f"http_{status}",
    )


def network_error(exc: Exception) -> ProviderError:
    """A request that got no HTTP answer (timeout, connection refused): retried."""
    return ProviderError(
        _("Meta could not be reached (%(error)s).") % {"error": type(exc).__name__},
        permanent=False,
        code=CODE_NETWORK,
    )
