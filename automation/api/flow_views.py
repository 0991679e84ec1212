"""Flows API (admins): CRUD, graph versions and rollback, validation, import and export of the
original JSON, duplicate, files for media interactions, and a test run."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from automation import services
from automation.api.flow_serializers import (
    FlowCreateInputSerializer,
    FlowDetailOutputSerializer,
    FlowDuplicateInputSerializer,
    FlowGraphInputSerializer,
    FlowImportInputSerializer,
    FlowImportPreviewOutputSerializer,
    FlowMediaInputSerializer,
    FlowMediaOutputSerializer,
    FlowOutputSerializer,
    FlowTestRunInputSerializer,
    FlowTestRunOutputSerializer,
    FlowUpdateInputSerializer,
    FlowValidateOutputSerializer,
    FlowVersionDetailOutputSerializer,
    FlowVersionOutputSerializer,
)
from automation.models import FlowVersion
from automation.selectors import flow_get, flow_version_get, flows_list
from core.exceptions import FieldValidationError
from core.pagination import KeysetPagination


class FlowPagination(KeysetPagination):
    ordering = ("name", "id")


class FlowVersionPagination(KeysetPagination):
    ordering = ("-number", "-id")


def _detail(public_id: Any) -> dict[str, Any]:
    return dict(FlowDetailOutputSerializer(flow_get(public_id=public_id)).data)


class FlowListCreateApi(APIView):
    """GET: the flows by name. POST: create one (its graph validated, or one empty step)."""

    pagination_class = FlowPagination

    @extend_schema(operation_id="flows_list", responses={200: FlowOutputSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        paginator = FlowPagination()
        page = paginator.paginate_queryset(flows_list(), request, view=self)
        return paginator.get_paginated_response(FlowOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="flows_create",
        request=FlowCreateInputSerializer,
        responses={201: FlowDetailOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        admin = require_admin(request.user)
        data = FlowCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flow = services.flow_create(by=admin, **data.validated_data)
        return Response(_detail(flow.public_id), status=status.HTTP_201_CREATED)


class FlowDetailApi(APIView):
    """GET one flow with its current graph; PATCH its settings (never its graph); DELETE it
    (tickets inside it finish on their version)."""

    @extend_schema(operation_id="flows_get", responses={200: FlowDetailOutputSerializer})
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        return Response(_detail(public_id))

    @extend_schema(
        operation_id="flows_update",
        request=FlowUpdateInputSerializer,
        responses={200: FlowDetailOutputSerializer},
    )
    def patch(self, request: AuthenticatedRequest, public_id: str) -> Response:
        admin = require_admin(request.user)
        data = FlowUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.flow_update(flow=flow_get(public_id=public_id), by=admin, **data.validated_data)
        return Response(_detail(public_id))

    @extend_schema(operation_id="flows_delete", responses={204: None})
    def delete(self, request: AuthenticatedRequest, public_id: str) -> Response:
        admin = require_admin(request.user)
        services.flow_delete(flow=flow_get(public_id=public_id), by=admin)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FlowVersionsApi(APIView):
    """GET: the flow's versions, newest first. POST: save a graph as the new current version
    (400 ``flow_invalid`` listing each problem with its node and field)."""

    pagination_class = FlowVersionPagination

    @extend_schema(
        operation_id="flows_versions_list", responses={200: FlowVersionOutputSerializer(many=True)}
    )
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        flow = flow_get(public_id=public_id)
        versions: QuerySet[FlowVersion] = flow.versions.all()
        paginator = FlowVersionPagination()
        page = paginator.paginate_queryset(versions, request, view=self)
        return paginator.get_paginated_response(FlowVersionOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="flows_versions_create",
        request=FlowGraphInputSerializer,
        responses={201: FlowDetailOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        admin = require_admin(request.user)
        data = FlowGraphInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.flow_graph_save(
            flow=flow_get(public_id=public_id), by=admin, **data.validated_data
        )
        return Response(_detail(public_id), status=status.HTTP_201_CREATED)


class FlowVersionDetailApi(APIView):
    """GET one version with its graph."""

    @extend_schema(
        operation_id="flows_versions_get", responses={200: FlowVersionDetailOutputSerializer}
    )
    def get(self, request: AuthenticatedRequest, public_id: str, number: int) -> Response:
        require_admin(request.user)
        version = flow_version_get(flow=flow_get(public_id=public_id), number=number)
        return Response(FlowVersionDetailOutputSerializer(version).data)


class FlowRollbackApi(APIView):
    """POST: make this version's graph current again (saved as a new version)."""

    @extend_schema(
        operation_id="flows_versions_rollback",
        request=None,
        responses={201: FlowDetailOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: str, number: int) -> Response:
        admin = require_admin(request.user)
        flow = flow_get(public_id=public_id)
        services.flow_rollback(
            flow=flow, by=admin, version=flow_version_get(flow=flow, number=number)
        )
        return Response(_detail(public_id), status=status.HTTP_201_CREATED)


class FlowValidateApi(APIView):
    """POST: check a graph without saving it."""

    @extend_schema(
        operation_id="flows_validate",
        request=FlowGraphInputSerializer,
        responses={200: FlowValidateOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        data = FlowGraphInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        errors = services.flow_graph_validate(graph=data.validated_data["graph"])
        body = {"valid": not errors, "problems": [e.as_dict() for e in errors]}
        return Response(FlowValidateOutputSerializer(body).data)


class FlowDuplicateApi(APIView):
    """POST: a copy of the flow (inactive, on no connection)."""

    @extend_schema(
        operation_id="flows_duplicate",
        request=FlowDuplicateInputSerializer,
        responses={201: FlowDetailOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        admin = require_admin(request.user)
        data = FlowDuplicateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        copy = services.flow_duplicate(
            flow=flow_get(public_id=public_id), by=admin, name=data.validated_data["name"]
        )
        return Response(_detail(copy.public_id), status=status.HTTP_201_CREATED)


class FlowTestRunApi(APIView):
    """POST: what the bot answers to ``text`` at ``state`` (nothing stored, nothing sent)."""

    @extend_schema(
        operation_id="flows_test_run",
        request=FlowTestRunInputSerializer,
        responses={200: FlowTestRunOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        data = FlowTestRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flow = flow_get(public_id=public_id)
        graph = data.validated_data["graph"]
        if graph is None:
            number = data.validated_data["version"]
            version = flow_version_get(flow=flow, number=number) if number else flow.current_version
            graph = version.graph if version else None
        services.flow_graph_validate_or_raise(graph=graph)
        state = data.validated_data["state"]
        if state is not None and not isinstance(state, dict):
            raise FieldValidationError({"state": [_("Not a step of this flow.")]})
        result = services.flow_test_run(
            graph=graph,
            state=state,
            text=data.validated_data["text"],
        )
        return Response(FlowTestRunOutputSerializer(result).data)


class FlowImportApi(APIView):
    """POST: read a flow of the original system; ``confirm: false`` previews the queue/user
    mapping and problems, ``confirm: true`` creates the flow (inactive)."""

    @extend_schema(
        operation_id="flows_import",
        request=FlowImportInputSerializer,
        responses={200: FlowImportPreviewOutputSerializer, 201: FlowDetailOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        admin = require_admin(request.user)
        data = FlowImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        preview, flow = services.flow_import(
            by=admin,
            name=values["name"],
            data=values["flow"],
            queue_names=values["queues"],
            user_names=values["users"],
            confirm=values["confirm"],
        )
        if flow is None:
            return Response(FlowImportPreviewOutputSerializer(preview).data)
        return Response(_detail(flow.public_id), status=status.HTTP_201_CREATED)


class FlowExportApi(APIView):
    """GET: the current graph as the original system's JSON, with the names of the queues and
    users it names."""

    @extend_schema(operation_id="flows_export", responses={200: dict})
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        return Response(services.flow_export(flow=flow_get(public_id=public_id)))


class FlowMediaUploadApi(APIView):
    """POST (multipart ``file``): store a file a media interaction sends; its ``id`` goes in
    the graph."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="flows_media_upload",
        request={"multipart/form-data": FlowMediaInputSerializer},
        responses={201: FlowMediaOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        admin = require_admin(request.user)
        data = FlowMediaInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        media = services.flow_media_upload(by=admin, file=data.validated_data["file"])
        return Response(FlowMediaOutputSerializer(media).data, status=status.HTTP_201_CREATED)
