"""One-time password-reset links: who may ask, how often, and what the link is.

A link is ``/accounts/password/reset/<uid>/<token>/`` on the tenant's host. The token is
Django's signed, timestamped reset token, with the tenant's schema mixed into what it signs: it
expires after ``PASSWORD_RESET_TIMEOUT`` seconds, stops working once the password changes (so it
is single use), and a link of one tenant does nothing on another tenant's host, even where a
user with the same id exists there.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts import login_throttle
from accounts.models import User
from core.counters import cache_count
from tenants.tenancy import current_schema


class TenantPasswordResetTokens(PasswordResetTokenGenerator):
    """Reset tokens valid only in the schema they were made in."""

    key_salt = "tiktickets.accounts.password_reset"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{current_schema()}:{super()._make_hash_value(user, timestamp)}"


reset_tokens = TenantPasswordResetTokens()


def reset_link_path(user: User) -> str:
    """The path of a fresh one-time link for ``user`` (in the current schema)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/accounts/password/reset/{uid}/{reset_tokens.make_token(user)}/"


def reset_link_user(uid: str, token: str) -> User | None:
    """The active user a link is for, when its token is still good; else None."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not reset_tokens.check_token(user, token):
        return None
    return user


def reset_requests_allowed(*, email: str, ip: str) -> bool:
    """Count one request for a link; False once the e-mail has asked too often in the sign-in
    lockout window (the answer stays the same: only the mail is not sent again)."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    name = login_throttle.counter_key("reset-email", email)
    return cache_count(name, window=window) <= settings.PASSWORD_RESET_REQUESTS_PER_EMAIL


def reset_request_clear(*, email: str) -> None:
    cache.delete(login_throttle.counter_key("reset-email", email))
