"""Quick replies API: the caller's usable replies (tenant-wide + personal), CRUD, rendering."""

from __future__ import annotations

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from core.pagination import KeysetPagination
from core.parsers import JSONParser
from tickets.api.quick_reply_serializers import (
    QuickReplyCreateInputSerializer,
    QuickReplyListQuerySerializer,
    QuickReplyOutputSerializer,
    QuickReplyRenderOutputSerializer,
    QuickReplyRenderQuerySerializer,
    QuickReplyUpdateInputSerializer,
)
from tickets.media import file_response
from tickets.selectors import quick_replies_for, quick_reply_get_for, ticket_get_for_agent
from tickets.services import quick_replies as services


class QuickReplyPagination(KeysetPagination):
    ordering = ("shortcode", "id")


class QuickReplyListCreateApi(APIView):
    """GET: tenant-wide and own personal replies by shortcode (``q``: prefix). POST: create."""

    # Documents the list as paginated ({next, previous, results}) in the OpenAPI schema.
    pagination_class = QuickReplyPagination

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="quick_replies_list",
        parameters=[QuickReplyListQuerySerializer],
        responses={200: QuickReplyOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        query = QuickReplyListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = QuickReplyPagination()
        page = paginator.paginate_queryset(
            quick_replies_for(request.user, prefix=query.validated_data["q"]), request, view=self
        )
        return paginator.get_paginated_response(QuickReplyOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="quick_replies_create",
        request={
            "application/json": QuickReplyCreateInputSerializer,
            "multipart/form-data": QuickReplyCreateInputSerializer,
        },
        responses={201: QuickReplyOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = QuickReplyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quick_reply = services.quick_reply_create(by=request.user, **data.validated_data)
        return Response(
            QuickReplyOutputSerializer(quick_reply).data, status=status.HTTP_201_CREATED
        )


class QuickReplyDetailApi(APIView):
    """GET one; PATCH (owner, or admins for tenant-wide ones); DELETE for real."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(operation_id="quick_replies_get", responses={200: QuickReplyOutputSerializer})
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        quick_reply = quick_reply_get_for(user=request.user, pk=pk)
        return Response(QuickReplyOutputSerializer(quick_reply).data)

    @extend_schema(
        operation_id="quick_replies_update",
        request={
            "application/json": QuickReplyUpdateInputSerializer,
            "multipart/form-data": QuickReplyUpdateInputSerializer,
        },
        responses={200: QuickReplyOutputSerializer},
    )
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        data = QuickReplyUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        quick_reply = quick_reply_get_for(user=user, pk=pk)
        quick_reply = services.quick_reply_update(
            quick_reply=quick_reply, by=user, **data.validated_data
        )
        return Response(QuickReplyOutputSerializer(quick_reply).data)

    @extend_schema(operation_id="quick_replies_delete", responses={204: None})
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        user = request.user
        services.quick_reply_delete(quick_reply=quick_reply_get_for(user=user, pk=pk), by=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuickReplyRenderApi(APIView):
    """The reply's text with its variables filled for one ticket the caller may see."""

    @extend_schema(
        parameters=[QuickReplyRenderQuerySerializer],
        responses={200: QuickReplyRenderOutputSerializer},
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        query = QuickReplyRenderQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = request.user
        quick_reply = quick_reply_get_for(user=user, pk=pk)
        ticket = ticket_get_for_agent(user=user, public_id=query.validated_data["ticket"])
        text = services.quick_reply_render(quick_reply=quick_reply, ticket=ticket, agent=user)
        return Response(QuickReplyRenderOutputSerializer({"text": text}).data)


class QuickReplyMediaApi(APIView):
    """The reply's file, to agents who may use the reply."""

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)}
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        quick_reply = quick_reply_get_for(user=request.user, pk=pk)
        return file_response(quick_reply.media, inline=False)
