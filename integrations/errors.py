"""Error codes of the integrations domain: API keys, the send APIs and webhooks."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError

# --------------------------------------------------------------------------- API keys


class ApiKeyInvalid(ApplicationError):
    """Unknown key, a key of another account, or one whose owner was deactivated."""

    code = "api_key_invalid"
    http_status = status.HTTP_401_UNAUTHORIZED
    default_message = _("This API key is not valid.")


class ApiKeyRevoked(ApplicationError):
    code = "api_key_revoked"
    http_status = status.HTTP_401_UNAUTHORIZED
    default_message = _("This API key was revoked.")


class ApiKeyExpired(ApplicationError):
    code = "api_key_expired"
    http_status = status.HTTP_401_UNAUTHORIZED
    default_message = _("This API key has expired.")


class ApiKeyIpNotAllowed(ApplicationError):
    code = "api_key_ip_not_allowed"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("This API key may not be used from this address.")


class ApiKeyScopeMissing(ApplicationError):
    """``extra["required_scope"]`` names the scope the endpoint needs."""

    code = "api_key_scope_missing"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("This API key does not have the scope this operation needs.")


class ApiKeyNotAllowedHere(ApplicationError):
    code = "api_key_not_allowed"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("API keys cannot be used for this operation; sign in instead.")


class ApiKeyRequired(ApplicationError):
    code = "api_key_required"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("This operation is for API keys; create one at /manage/api-keys/.")


class ApiKeyConnectionMismatch(ApplicationError):
    code = "api_key_connection_mismatch"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("This API key is bound to another channel connection.")


class ApiKeyNotFound(ApplicationError):
    code = "api_key_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("API key not found.")


class RateLimited(ApplicationError):
    """``extra["retry_after"]`` (seconds) becomes the Retry-After header."""

    code = "rate_limited"
    http_status = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many requests. Wait before trying again.")


# --------------------------------------------------------------------------- sending


class IdempotencyKeyInvalid(ApplicationError):
    code = "idempotency_key_invalid"
    default_message = _("The idempotency key must have 1 to 255 visible characters.")


class IdempotencyKeyReused(ApplicationError):
    """The key was used within 24 hours for a request with another body."""

    code = "idempotency_key_reused"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("This idempotency key was already used for a different request.")


class ConnectionNotFound(ApplicationError):
    code = "connection_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Channel connection not found.")


class ConnectionRequired(ApplicationError):
    code = "connection_required"
    default_message = _("Name the channel connection to send through.")


class MediaDownloadFailed(ApplicationError):
    """``mediaUrl`` could not be fetched (refused address, too large, too slow, not 2xx)."""

    code = "media_download_failed"
    default_message = _("The media URL could not be downloaded.")


class UnsafeUrl(ApplicationError):
    """The URL resolves to a private, loopback, link-local or otherwise internal address."""

    code = "unsafe_url"
    default_message = _("This URL points to a private or internal address.")


# --------------------------------------------------------------------------- webhooks


class WebhookNotFound(ApplicationError):
    code = "webhook_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Webhook subscription not found.")


class WebhookDeliveryNotFound(ApplicationError):
    code = "webhook_delivery_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Webhook delivery not found.")
