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


class TwoFactorCodeRequired(ApplicationError):
    """The user signs in with two-factor authentication: the code must come with the password."""

    code = "otp_required"
    http_status = status.HTTP_401_UNAUTHORIZED
    default_message = _("Enter the code from your authenticator app (or a recovery code).")


class TwoFactorCodeInvalid(ApplicationError):
    code = "otp_invalid"
    http_status = status.HTTP_401_UNAUTHORIZED
    default_message = _("The code is not correct or was already used.")


class TwoFactorEnrolmentRequired(ApplicationError):
    """Two-factor sign-in is required of this user, who has not set it up yet."""

    code = "two_factor_enrolment_required"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _(
        "Two-factor sign-in is required: set it up on your profile page in the dashboard first."
    )


class TwoFactorState(ApplicationError):
    """The operation does not fit the user's two-factor state (already on, or not started)."""

    code = "two_factor_state"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Two-factor sign-in changed meanwhile; reload the page.")
