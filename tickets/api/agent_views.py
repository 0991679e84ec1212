"""Users API: admins manage the tenant's users (create within the plan, change, deactivate,
reactivate); agents only list their active colleagues (transfer targets)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import AdminRequired
from accounts.presence import presence_statuses_shown
from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from accounts.selectors import users_active
from core.pagination import KeysetPagination
from tickets.api.agent_serializers import (
    UserCreateInputSerializer,
    UserListQuerySerializer,
    UserOutputSerializer,
    UserPublicOutputSerializer,
    UserUpdateInputSerializer,
)
from tickets.selectors import user_get, users_for_admin
from tickets.services import agents as services


class UserPagination(KeysetPagination):
    ordering = ("name", "id")


class UserListCreateApi(APIView):
    """GET: users by name; admins see everything (``is_active`` filters), agents only the active
    users' id, name and role. POST: create a user (admins, within the plan's ``max_users``)."""

    # Documents the list as paginated ({next, previous, results}) in the OpenAPI schema.
    pagination_class = UserPagination

    @extend_schema(
        operation_id="users_list",
        parameters=[UserListQuerySerializer],
        responses={200: UserOutputSerializer(many=True)},
        description="Agents receive only `id`, `name` and `role` of active users.",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        user = request.user
        paginator = UserPagination()
        if not user.is_admin:
            page = paginator.paginate_queryset(users_active(), request, view=self)
            context = {"statuses": presence_statuses_shown([u.pk for u in page or []])}
            return paginator.get_paginated_response(
                UserPublicOutputSerializer(page, many=True, context=context).data
            )
        query = UserListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        users = users_for_admin()
        if query.validated_data["is_active"] is not None:
            users = users.filter(is_active=query.validated_data["is_active"])
        page = paginator.paginate_queryset(users, request, view=self)
        context = {"statuses": presence_statuses_shown([u.pk for u in page or []])}
        return paginator.get_paginated_response(
            UserOutputSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        operation_id="users_create",
        request=UserCreateInputSerializer,
        responses={201: UserOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        admin = require_admin(request.user)
        data = UserCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.agent_create(by=admin, **data.validated_data)
        return Response(
            UserOutputSerializer(user_get(pk=user.pk)).data, status=status.HTTP_201_CREATED
        )


class UserDetailApi(APIView):
    """GET one user (admins); PATCH: admins change anyone, others only their own name and
    language."""

    @extend_schema(operation_id="users_get", responses={200: UserOutputSerializer})
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        require_admin(request.user)
        return Response(UserOutputSerializer(user_get(pk=pk)).data)

    @extend_schema(
        operation_id="users_update",
        request=UserUpdateInputSerializer,
        responses={200: UserOutputSerializer},
    )
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        by = request.user
        if not by.is_admin and pk != by.pk:
            raise AdminRequired()
        data = UserUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.agent_update(user=user_get(pk=pk), by=by, **data.validated_data)
        return Response(UserOutputSerializer(user_get(pk=pk)).data)


class UserDeactivateApi(APIView):
    """Stop a user from signing in (admins); refused while they hold pending or open tickets."""

    @extend_schema(
        operation_id="users_deactivate", request=None, responses={200: UserOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        admin = require_admin(request.user)
        services.agent_deactivate(user=user_get(pk=pk), by=admin)
        return Response(UserOutputSerializer(user_get(pk=pk)).data)


class UserReactivateApi(APIView):
    """Let a deactivated user sign in again (admins), within the plan's ``max_users``."""

    @extend_schema(
        operation_id="users_reactivate", request=None, responses={200: UserOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        admin = require_admin(request.user)
        services.agent_reactivate(user=user_get(pk=pk), by=admin)
        return Response(UserOutputSerializer(user_get(pk=pk)).data)
