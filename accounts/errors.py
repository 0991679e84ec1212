"""Error codes of the accounts domain."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    http_status = status.HTTP_401_UNAUTHORIZED
    default_message = _("E-mail or password is incorrect.")


class LoginThrottled(ApplicationError):
    code = "login_throttled"
    http_status = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many failed sign-in attempts. Try again later.")

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(extra={"retry_after": self.retry_after})


class UserLimitReached(ApplicationError):
    code = "user_limit_reached"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The account's plan allows no more active users.")


class AdminRequired(ApplicationError):
    """The operation is for the tenant's administrators only."""

    code = "admin_required"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("Only administrators may do this.")
