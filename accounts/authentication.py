"""DRF authentication classes. Kept in their own module: DRF imports them from settings, and
defining them beside views that import DRF settings causes a circular import."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import Token

from accounts.tokens import ensure_current_tenant


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
