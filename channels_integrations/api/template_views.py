"""Message templates API (WhatsApp Cloud): admins list, sync, submit and delete a connection's
templates; agents list the approved ones and send one on a ticket (the only message WhatsApp
takes outside the 24-hour window) or to start a conversation."""

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
from channels_integrations.api.template_serializers import (
    TemplateCreateInputSerializer,
    TemplateListQuerySerializer,
    TemplateOutputSerializer,
    TemplateSendInputSerializer,
    TemplateSyncInputSerializer,
    TemplateSyncOutputSerializer,
)
from channels_integrations.selectors import connection_get, template_get, templates_list
from channels_integrations.services import templates as services
from contacts.selectors import contact_get_for_user
from core.exceptions import FieldValidationError
from core.pagination import KeysetPagination
from tickets.api.message_serializers import MessageOutputSerializer
from tickets.selectors import ticket_get_for_agent


class TemplatePagination(KeysetPagination):
    ordering = ("name", "id")


class TemplateListApi(APIView):
    """GET: templates by name (``connection``, ``status`` filters; agents see approved ones
    only). POST: submit a new one for WhatsApp's review (admins); it starts ``PENDING``."""

    pagination_class = TemplatePagination

    @extend_schema(
        operation_id="templates_list",
        parameters=[TemplateListQuerySerializer],
        responses={200: TemplateOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        query = TemplateListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        connection = None
        if values.get("connection"):
            connection = connection_get(public_id=values["connection"])
        rows = templates_list(
            user=request.user, connection=connection, status=values.get("status", "")
        )
        paginator = TemplatePagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            [TemplateOutputSerializer(template).data for template in page or []]
        )

    @extend_schema(
        operation_id="templates_create",
        request=TemplateCreateInputSerializer,
        responses={201: TemplateOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        data = TemplateCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        values["connection"] = connection_get(public_id=values["connection"])
        if values.get("url_button") is not None:
            values["url_button"] = dict(values["url_button"])
        template = services.template_submit(**values)
        return Response(TemplateOutputSerializer(template).data, status=status.HTTP_201_CREATED)


class TemplateSyncApi(APIView):
    """POST: read the connection's templates from WhatsApp now (admins)."""

    @extend_schema(
        operation_id="templates_sync",
        request=TemplateSyncInputSerializer,
        responses={200: TemplateSyncOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        data = TemplateSyncInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = connection_get(public_id=data.validated_data["connection"])
        return Response({"count": services.templates_sync(connection=connection)})


class TemplateDetailApi(APIView):
    """GET one template with its parameters; DELETE it at WhatsApp and here (admins)."""

    @extend_schema(operation_id="templates_get", responses={200: TemplateOutputSerializer})
    def get(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        template = template_get(user=request.user, public_id=public_id)
        return Response(TemplateOutputSerializer(template).data)

    @extend_schema(operation_id="templates_delete", responses={204: None})
    def delete(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        require_admin(request.user)
        services.template_delete(template=template_get(user=request.user, public_id=public_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplateSendApi(APIView):
    """POST: send the approved template with ``parameters`` (``{"body.1": "Ana"}``, keys as
    listed in the template's ``parameters``) on the open ``ticket``, or start a conversation
    with ``contact`` or ``phone`` on its connection. 400 ``template_parameters_invalid`` names
    each missing, empty or unknown parameter; 409 ``template_not_approved``. The message goes
    through the outbound pipeline (idempotent, retried)."""

    @extend_schema(
        operation_id="templates_send",
        request=TemplateSendInputSerializer,
        responses={201: MessageOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        data = TemplateSendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values, user = data.validated_data, request.user
        template = template_get(user=user, public_id=public_id)
        parameters = {str(k): str(v) for k, v in values["parameters"].items()}
        if values["ticket"] is not None:
            ticket = ticket_get_for_agent(user=user, public_id=values["ticket"])
            message = services.template_send(
                ticket=ticket, by=user, template=template, parameters=parameters
            )
        elif values["contact"] is not None or values["phone"].strip():
            contact = None
            if values["contact"] is not None:
                contact = contact_get_for_user(user=user, public_id=values["contact"])
            ticket = services.template_conversation_start(
                by=user,
                template=template,
                parameters=parameters,
                contact=contact,
                phone=values["phone"],
            )
            message = ticket.messages.get()
        else:
            raise FieldValidationError(
                {"ticket": [str(_("Choose a ticket, a contact or a phone number."))]}
            )
        return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)
