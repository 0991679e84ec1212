"""What a failed delivery means for the agent: the pipeline stores the provider's error code and
its own words (often English, as the provider wrote them); the panel shows the translated,
actionable sentence of the code instead, and the provider's words only as a detail."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# One sentence per error code the providers and the outbound pipeline record: what happened
# and what to do about it.
MESSAGES: dict[str, Promise] = {
    "unauthorized": _(
        "The channel no longer accepts its credentials (the bot token was revoked or changed). "
        "An administrator must paste the current one in the connection's settings."
    ),
    "meta_auth_failed": _(
        "Meta refused the channel's access token or its permissions. An administrator must "
        "update the connection's credentials."
    ),
    "bot_blocked": _(
        "The customer blocked the bot: the message can only be delivered after they unblock it."
    ),
    "chat_not_found": _(
        "The channel does not know this conversation: the customer has to write to us there first."
    ),
    "forbidden": _("The channel refused to deliver to this customer."),
    "meta_invalid_recipient": _(
        "Meta cannot deliver to this customer (the number or account cannot receive messages)."
    ),
    "whatsapp_window_closed": _(
        "More than 24 hours have passed since the customer's last message: WhatsApp only "
        "accepts an approved template message now."
    ),
    "messaging_window_closed": _(
        "More than 24 hours have passed since the customer's last message: Meta does not allow "
        "a free-form reply now."
    ),
    "media_too_large": _("The file is larger than the channel accepts. Send a smaller file."),
    "rate_limited": _("The channel is limiting how fast we send. Try again in a few minutes."),
    "network_error": _("The channel could not be reached. Try again in a few minutes."),
    "unavailable": _("The channel is temporarily unavailable. Try again in a few minutes."),
    "provider_unavailable": _(
        "The channel is temporarily unavailable. Try again in a few minutes."
    ),
    "not_a_web_chat_visitor": _(
        "This contact has no web chat conversation to receive the reply. Answer them on "
        "another channel."
    ),
    "connection_disabled": _(
        "The channel connection is disabled. An administrator must enable it before messages "
        "are sent."
    ),
    "message_deleted": _("The message was deleted before it was sent."),
    "unexpected_error": _(
        "Sending failed unexpectedly. Try again; if it fails again, tell your administrator."
    ),
}
FALLBACK = _("The channel did not accept the message.")


def delivery_error_message(code: str) -> str:
    """The translated, actionable sentence of a delivery error code (a general one for codes
    without a sentence of their own)."""
    return str(MESSAGES.get(code, FALLBACK))
