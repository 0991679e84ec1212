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
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


# Errors about the WhatsApp number or business account rather than one message: a webhook
# reporting one marks the connection as in error (131056 is about one customer, not here).
WHATSAPP_ACCOUNT_CODES = frozenset(
    (RATE_LIMIT_CODES - {131056}) | AUTH_CODES | {131042, 131031, 133010}
)
_TEMPLATE_REFUSED = gettext_lazy(
    "The template message was refused (it does not exist, is paused, or its parameters do not "
    "match)."
)
# Readable reasons for the WhatsApp errors agents and admins meet most; the others show Meta's
# own words. https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
WHATSAPP_ERROR_REASONS: dict[int, str | Promise] = {
    130429: gettext_lazy(
        "WhatsApp is limiting how fast this number can send (throughput limit). Send fewer "
        "messages at once and try again."
    ),
    131047: gettext_lazy(
        "More than 24 hours have passed since the customer's last message: WhatsApp only "
        "accepts an approved template message now."
    ),
    131026: gettext_lazy(
        "WhatsApp could not deliver the message to this number (it may not use WhatsApp, or "
        "its app must be updated)."
    ),
    131048: gettext_lazy(
        "WhatsApp is limiting this number because too many of its messages were blocked or "
        "reported. Check the number's quality rating."
    ),
    131049: gettext_lazy(
        "WhatsApp chose not to deliver this marketing message to keep the customer's experience "
        "healthy. Try again later."
    ),
    131056: gettext_lazy(
        "Too many messages were sent to this customer in a short time. Wait before sending again."
    ),
    131042: gettext_lazy(
        "WhatsApp refused to send because of a payment problem on the business account. Check "
        "its payment method in Meta Business Manager."
    ),
    131031: gettext_lazy(
        "The WhatsApp business account is locked. Check its status in Meta Business Manager."
    ),
    131051: gettext_lazy("WhatsApp does not support this kind of message."),
    131053: gettext_lazy("WhatsApp could not process the attached file."),
    131000: gettext_lazy("WhatsApp had an internal problem. Try again."),
    133010: gettext_lazy("This number is not registered on the WhatsApp Cloud API."),
    368: gettext_lazy(
        "The business account is temporarily blocked for breaking WhatsApp's policies."
    ),
    190: gettext_lazy(
        "Meta refused the access token (expired or revoked). Update the channel's credentials."
    ),
    132000: _TEMPLATE_REFUSED,
    132001: _TEMPLATE_REFUSED,
    132012: _TEMPLATE_REFUSED,
    132015: _TEMPLATE_REFUSED,
    132016: _TEMPLATE_REFUSED,
}


def whatsapp_error_number(code: str) -> int | None:
    """The WhatsApp error number behind one of our codes (``meta_130429``,
    ``whatsapp_window_closed``)."""
    if code == CODE_WHATSAPP_WINDOW_CLOSED:
        return WHATSAPP_WINDOW_CLOSED
    return _int(code.removeprefix("meta_")) if code.startswith("meta_") else None


def whatsapp_error_reason(code: str, detail: str) -> str:
    """What a WhatsApp error means for the people who see it, in the active language, with
    its number; Meta's own words for the numbers we have no reason for."""
    number = whatsapp_error_number(code)
    reason = WHATSAPP_ERROR_REASONS.get(number) if number is not None else None
    if reason is not None:
        return _("%(reason)s (WhatsApp error %(code)s)") % {"reason": reason, "code": number}
    if number is not None:
        return _("WhatsApp error %(code)s: %(detail)s") % {
            "code": number,
            "detail": detail or _("no error message"),
        }
    return detail or code
