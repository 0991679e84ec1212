"""Channel connections API (read-only for now): list and retrieve by public id."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_integrations.api.serializers import ConnectionOutputSerializer
from channels_integrations.selectors import connection_get, connections_list
from core.pagination import KeysetPagination


class ConnectionPagination(KeysetPagination):
    ordering = ("name", "id")


class ConnectionListApi(APIView):
    """The tenant's channel connections by name, without their credentials."""

    # Documents the list as paginated ({next, previous, results}) in the OpenAPI schema.
    pagination_class = ConnectionPagination

    @extend_schema(
        operation_id="connections_list", responses={200: ConnectionOutputSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        paginator = ConnectionPagination()
        page = paginator.paginate_queryset(connections_list(), request, view=self)
        return paginator.get_paginated_response(ConnectionOutputSerializer(page, many=True).data)


class ConnectionDetailApi(APIView):
    """One channel connection, without its credentials."""

    @extend_schema(operation_id="connections_get", responses={200: ConnectionOutputSerializer})
    def get(self, request: Request, public_id: UUID) -> Response:
        return Response(ConnectionOutputSerializer(connection_get(public_id=public_id)).data)
