"""API keys under /api/v1/api-keys/: tenant admins list, create and revoke them (signed in;
keys themselves may not manage keys, see ``integrations.scopes.KEY_REFUSED``)."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from connections.models import ChannelConnection
from core.selectors import get_visible_or_404
from integrations.api.serializers import (
    ApiKeyCreatedOutputSerializer,
    ApiKeyCreateInputSerializer,
    ApiKeyOutputSerializer,
)
from integrations.errors import ConnectionNotFound
from integrations.selectors import api_key_get, api_keys_list
from integrations.services.api_keys import api_key_create, api_key_revoke


class ApiKeyListApi(APIView):
    """GET: the tenant's API keys, newest first. POST: create one; the secret is in this
    answer only."""

    @extend_schema(operation_id="api_keys_list", responses={200: ApiKeyOutputSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        return Response(ApiKeyOutputSerializer(api_keys_list(), many=True).data)

    @extend_schema(
        operation_id="api_keys_create",
        request=ApiKeyCreateInputSerializer,
        responses={201: ApiKeyCreatedOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        admin = require_admin(request.user)
        data = ApiKeyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        connection_id = values.pop("connection")
        connection = None
        if connection_id is not None:
            connection = get_visible_or_404(
                ChannelConnection.objects.all(), ConnectionNotFound, public_id=connection_id
            )
        key, secret = api_key_create(by=admin, connection=connection, **values)
        key = api_key_get(public_id=key.public_id)
        body = dict(ApiKeyOutputSerializer(key).data, secret=secret)
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyDetailApi(APIView):
    """GET one key (never its secret)."""

    @extend_schema(operation_id="api_keys_get", responses={200: ApiKeyOutputSerializer})
    def get(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        require_admin(request.user)
        return Response(ApiKeyOutputSerializer(api_key_get(public_id=public_id)).data)


class ApiKeyRevokeApi(APIView):
    """POST: the key is refused from its next request on."""

    @extend_schema(
        operation_id="api_keys_revoke", request=None, responses={200: ApiKeyOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        admin = require_admin(request.user)
        key = api_key_revoke(api_key=api_key_get(public_id=public_id), by=admin)
        return Response(ApiKeyOutputSerializer(key).data)
