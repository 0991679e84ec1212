"""Channel connections API: everyone lists and reads them (without credentials); admins create,
change, enable, disable, re-check and delete them, and see masked credentials and the webhook
URL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from channels_integrations.api.serializers import (
    ConnectionAdminOutputSerializer,
    ConnectionCreateInputSerializer,
    ConnectionOutputSerializer,
    ConnectionUpdateInputSerializer,
)
from channels_integrations.selectors import connection_get, connections_list
from channels_integrations.services import connections as services
from connections.models import ChannelConnection
from core.exceptions import FieldValidationError
from core.pagination import KeysetPagination
from tickets.models import Queue


def _output(request: AuthenticatedRequest, connection: ChannelConnection) -> dict[str, Any]:
    if not request.user.is_admin:
        return dict(ConnectionOutputSerializer(connection).data)
    base_url = request.build_absolute_uri("/").rstrip("/")
    return dict(ConnectionAdminOutputSerializer(connection, context={"base_url": base_url}).data)


def _queue(pk: int | None) -> Queue | None:
    if pk is None:
        return None
    queue = Queue.objects.filter(pk=pk).first()
    if queue is None:
        raise FieldValidationError({"default_queue": [_("Queue not found.")]})
    return queue


class ConnectionPagination(KeysetPagination):
    ordering = ("name", "id")


class ConnectionListApi(APIView):
    """GET: the tenant's channel connections by name. POST: create one (admins)."""

    # Documents the list as paginated ({next, previous, results}) in the OpenAPI schema.
    pagination_class = ConnectionPagination

    @extend_schema(
        operation_id="connections_list", responses={200: ConnectionOutputSerializer(many=True)}
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        paginator = ConnectionPagination()
        page = paginator.paginate_queryset(connections_list(), request, view=self)
        rows = [_output(request, connection) for connection in page or []]
        return paginator.get_paginated_response(rows)

    @extend_schema(
        operation_id="connections_create",
        request=ConnectionCreateInputSerializer,
        responses={201: ConnectionAdminOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        admin = require_admin(request.user)
        data = ConnectionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        connection = services.connection_create(
            by=admin, default_queue=_queue(values.pop("default_queue", None)), **values
        )
        connection = connection_get(public_id=connection.public_id)
        return Response(_output(request, connection), status=status.HTTP_201_CREATED)


class ConnectionDetailApi(APIView):
    """GET one connection; PATCH it (admins; new credentials are checked with the provider);
    DELETE it (admins; only without tickets, otherwise disable it)."""

    @extend_schema(operation_id="connections_get", responses={200: ConnectionOutputSerializer})
    def get(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        return Response(_output(request, connection_get(public_id=public_id)))

    @extend_schema(
        operation_id="connections_update",
        request=ConnectionUpdateInputSerializer,
        responses={200: ConnectionAdminOutputSerializer},
    )
    def patch(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        admin = require_admin(request.user)
        data = ConnectionUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "default_queue" in values:
            values["default_queue"] = _queue(values["default_queue"])
        connection = connection_get(public_id=public_id)
        services.connection_update(connection=connection, by=admin, **values)
        return Response(_output(request, connection_get(public_id=public_id)))

    @extend_schema(operation_id="connections_delete", responses={204: None})
    def delete(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        admin = require_admin(request.user)
        services.connection_delete(connection=connection_get(public_id=public_id), by=admin)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConnectionEnableApi(APIView):
    """POST: receive and send again (counts against the tenant's channel limit)."""

    @extend_schema(
        operation_id="connections_enable",
        request=None,
        responses={200: ConnectionAdminOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        admin = require_admin(request.user)
        services.connection_enable(connection=connection_get(public_id=public_id), by=admin)
        return Response(_output(request, connection_get(public_id=public_id)))


class ConnectionDisableApi(APIView):
    """POST: stop receiving and sending; webhooks of the connection answer 404."""

    @extend_schema(
        operation_id="connections_disable",
        request=None,
        responses={200: ConnectionAdminOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        admin = require_admin(request.user)
        services.connection_disable(connection=connection_get(public_id=public_id), by=admin)
        return Response(_output(request, connection_get(public_id=public_id)))


class ConnectionCheckApi(APIView):
    """POST: ask the provider again (credentials and webhook) and update the status."""

    @extend_schema(
        operation_id="connections_check",
        request=None,
        responses={200: ConnectionAdminOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        admin = require_admin(request.user)
        services.connection_check(connection=connection_get(public_id=public_id), by=admin)
        return Response(_output(request, connection_get(public_id=public_id)))
