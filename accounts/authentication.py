"""DRF authentication classes. Kept in their own module: DRF imports them from settings, and
defining them beside views that import DRF settings causes a circular import."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db.models import IntegerField
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User
from accounts.tokens import ensure_current_tenant
from core.db.compiled import CompiledInstances, Slot, instances_compiled


@cache
def _user_by_id_statement() -> CompiledInstances:
    """``User.objects.filter(pk=...)`` (every column) compiled once per process, with the id as
    its slot: building and compiling it cost more CPU than running it, on every API request,
    and so did ``raw()``'s per-call mapping of columns to fields. It names no schema (the
    connection's ``search_path`` picks the tenant's table)."""
    return instances_compiled(User.objects.filter(pk=Slot("id", IntegerField())).order_by())


def user_by_id(user_id: int) -> User | None:
    """The user ``user_id`` of the current tenant with every column (as ``objects.get`` reads
    it, so nothing a view reads later costs a query), or None."""
    found = _user_by_id_statement().instances({"id": user_id})
    return found[0] if found else None


class TenantJWTAuthentication(JWTAuthentication):
    """SimpleJWT access tokens, refused (401 ``token_wrong_tenant``) outside their tenant.

    The locale middleware runs before DRF authenticates a token, so it only knew the tenant's
    language; a token user's own language preference is activated here.
    """

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        result = super().authenticate(request)
        language = str(getattr(result[0], "language", None) or "") if result else ""
        if language:
            translation.activate(language)
            request._request.LANGUAGE_CODE = translation.get_language()
        return result

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        ensure_current_tenant(token)
        return token

    def get_user(self, validated_token: Token) -> Any:  # SimpleJWT types it as a TypeVar
        """SimpleJWT's checks, in its order and with its errors (no user: 401
        ``user_not_found``; deactivated: 401 ``user_inactive``; a revoked password when
        ``CHECK_REVOKE_TOKEN`` is on), with the user read by ``user_by_id``."""
        try:
            user_id = int(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user = user_by_id(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        return user
