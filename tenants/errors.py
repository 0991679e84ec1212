"""Error codes of the tenants domain."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError


class TenantSuspended(ApplicationError):
    code = "tenant_suspended"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("This account is suspended. Contact the platform administrator.")


class TenantNotFound(ApplicationError):
    code = "tenant_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("No account is served on this address.")


class ChannelAccountTaken(ApplicationError):
    """The provider account (phone number, page, bot) is already connected, here or elsewhere.

    The answer is the same wherever it is connected and names nothing, so that it does not
    tell one tenant's admin which accounts another tenant has; ``account_id`` (never shown) is
    for the audit log.
    """

    code = "channel_account_taken"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This account cannot be connected here.")

    def __init__(self, *, account_id: str = "") -> None:
        super().__init__()
        self.account_id = account_id
