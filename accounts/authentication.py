"""DRF authentication classes. Kept in their own module: DRF imports them from settings, and
defining them beside views that import DRF settings causes a circular import (stack.md §4.1)."""

from __future__ import annotations

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import Token

from accounts.tokens import ensure_current_tenant


class TenantJWTAuthentication(JWTAuthentication):
    """SimpleJWT access tokens, refused (401 ``token_wrong_tenant``) outside their tenant."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        ensure_current_tenant(token)
        return token
