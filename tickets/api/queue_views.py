"""Queues API: everyone lists them (to filter and transfer); admins create, change, set agents
and delete (moving the tickets to another queue)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from core.exceptions import FieldValidationError
from core.pagination import KeysetPagination
from tickets.api.queue_serializers import (
    QueueCreateInputSerializer,
    QueueDeleteInputSerializer,
    QueueDeleteOutputSerializer,
    QueueMembersInputSerializer,
    QueueOutputSerializer,
    QueueUpdateInputSerializer,
)
from tickets.errors import QueueNotFound
from tickets.selectors import queue_get_for, queues_for
from tickets.services import queues as services


class QueuePagination(KeysetPagination):
    ordering = ("name", "id")


class QueueListCreateApi(APIView):
    """GET: queues by name (agents: active ones only) with their active agents. POST: create
    (admins)."""

    # Documents the list as paginated ({next, previous, results}) in the OpenAPI schema.
    pagination_class = QueuePagination

    @extend_schema(operation_id="queues_list", responses={200: QueueOutputSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        paginator = QueuePagination()
        page = paginator.paginate_queryset(queues_for(request.user), request, view=self)
        return paginator.get_paginated_response(QueueOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="queues_create",
        request=QueueCreateInputSerializer,
        responses={201: QueueOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        admin = require_admin(request.user)
        data = QueueCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queue = services.queue_create(by=admin, **data.validated_data)
        queue = queue_get_for(user=admin, pk=queue.pk)
        return Response(QueueOutputSerializer(queue).data, status=status.HTTP_201_CREATED)


class QueueDetailApi(APIView):
    """GET one queue; PATCH it (admins); DELETE it (admins), moving its tickets to ``move_to``."""

    @extend_schema(operation_id="queues_get", responses={200: QueueOutputSerializer})
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(QueueOutputSerializer(queue_get_for(user=request.user, pk=pk)).data)

    @extend_schema(
        operation_id="queues_update",
        request=QueueUpdateInputSerializer,
        responses={200: QueueOutputSerializer},
    )
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        admin = require_admin(request.user)
        data = QueueUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queue = queue_get_for(user=admin, pk=pk)
        services.queue_update(queue=queue, by=admin, **data.validated_data)
        return Response(QueueOutputSerializer(queue_get_for(user=admin, pk=pk)).data)

    @extend_schema(
        operation_id="queues_delete",
        request=QueueDeleteInputSerializer,
        responses={200: QueueDeleteOutputSerializer},
    )
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        admin = require_admin(request.user)
        data = QueueDeleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queue = queue_get_for(user=admin, pk=pk)
        move_to = None
        if data.validated_data["move_to"] is not None:
            try:
                move_to = queue_get_for(user=admin, pk=data.validated_data["move_to"])
            except QueueNotFound as exc:
                raise FieldValidationError({"move_to": [str(exc.message)]}) from exc
        moved = services.queue_delete(queue=queue, move_to=move_to, by=admin)
        return Response(QueueDeleteOutputSerializer({"moved_tickets": moved}).data)


class QueueMembersApi(APIView):
    """PUT: replace the queue's agents (admins); every id must be an active user."""

    @extend_schema(
        operation_id="queues_members_set",
        request=QueueMembersInputSerializer,
        responses={200: QueueOutputSerializer},
    )
    def put(self, request: AuthenticatedRequest, pk: int) -> Response:
        admin = require_admin(request.user)
        data = QueueMembersInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queue = queue_get_for(user=admin, pk=pk)
        services.queue_members_set(
            queue=queue, agent_ids=data.validated_data["agent_ids"], by=admin
        )
        return Response(QueueOutputSerializer(queue_get_for(user=admin, pk=pk)).data)
