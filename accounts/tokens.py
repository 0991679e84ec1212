"""JWTs bound to the tenant that issued them.

SimpleJWT's tokens carry only ``user_id``, and every tenant schema numbers its users from 1, so
an unbound token from tenant A would sign in as user 1 of tenant B. Every token
we issue carries the schema it was issued in, and every check compares it to the current one.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import RefreshToken, Token

from accounts.models import User
from tenants.tenancy import current_schema

TENANT_CLAIM = "tenant"


def issue_token_pair(user: User) -> dict[str, str]:
    """A refresh token (recorded for blacklisting) and its access token, both tenant-bound."""
    refresh = RefreshToken.for_user(user)
    refresh[TENANT_CLAIM] = current_schema()
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def ensure_current_tenant(token: Token | dict[str, Any]) -> None:
    """Refuse a token that was not issued in the current tenant (or that names none)."""
    if token.get(TENANT_CLAIM) != current_schema():
        raise AuthenticationFailed(
            _("This token was issued for another account."), code="token_wrong_tenant"
        )
