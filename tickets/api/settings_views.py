"""Tenant settings API: every key with its type and default; admins change some at once."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from core.exceptions import FieldValidationError
from tenants.services import tenant_settings_update
from tenants.tenancy import current_tenant
from tenants.tenant_settings import settings_available, settings_with_defaults
from tickets.api.settings_serializers import TenantSettingOutputSerializer


def _settings_rows(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "value": values[key],
            "type": spec.type.__name__,
            "default": spec.default,
            "label": str(spec.label),
            "nullable": spec.nullable,
            "minimum": spec.minimum,
            "maximum": spec.maximum,
            "max_length": spec.max_length,
        }
        for key, spec in settings_available().items()
    ]


class TenantSettingsApi(APIView):
    """GET: every available setting of the tenant (any signed-in user). PATCH: change some (admins);
    unknown keys or wrong types → 400 with one error per key, and nothing is stored."""

    @extend_schema(
        operation_id="settings_list", responses={200: TenantSettingOutputSerializer(many=True)}
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        values = settings_with_defaults(current_tenant().settings or {})
        return Response(TenantSettingOutputSerializer(_settings_rows(values), many=True).data)

    @extend_schema(
        operation_id="settings_update",
        request=OpenApiTypes.OBJECT,
        responses={200: TenantSettingOutputSerializer(many=True)},
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        if not isinstance(request.data, dict) or not request.data:
            raise FieldValidationError(
                {"non_field_errors": [_("Send an object of setting keys and values.")]}
            )
        values = tenant_settings_update(tenant=current_tenant(), values=dict(request.data))
        return Response(TenantSettingOutputSerializer(_settings_rows(values), many=True).data)
