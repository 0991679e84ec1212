"""Error codes of channel connections: creating, checking, enabling and deleting them."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError, NotFound


class ConnectionLimitReached(ApplicationError):
    code = "channel_limit_reached"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The account's plan allows no more channel connections.")


class ProviderUnknown(ApplicationError):
    code = "provider_unavailable"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("This kind of channel is not available.")


class ProviderNotInstalled(ApplicationError):
    """An existing connection's provider is not shipped by this installation."""

    code = "provider_not_installed"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This channel's provider is not available on this server.")


class CredentialsRejected(ApplicationError):
    """The provider refused the credentials (a revoked token, a wrong id)."""

    code = "credentials_rejected"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("The provider did not accept these credentials.")


class ProviderUnreachable(ApplicationError):
    """The provider could not be asked (network error, outage): try again later."""

    code = "provider_unreachable"
    http_status = status.HTTP_503_SERVICE_UNAVAILABLE
    default_message = _("The provider could not be reached. Try again in a moment.")


class ConnectionNotFound(NotFound):
    """No connection of this tenant has that id (404 ``not_found``, like other references)."""

    default_message = _("Channel connection not found.")


class ConnectionInUse(ApplicationError):
    code = "connection_in_use"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This connection has tickets: disable it instead of deleting it.")
