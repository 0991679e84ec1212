"""Messages API: list and send on a ticket, notes, forward, edit, delete, scheduling, media.

Tickets and messages the caller may not see answer 404; the services decide everything else.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from core.datetimes import output_zone
from core.pagination import KeysetPagination, KeysetRows
from core.parsers import JSONParser
from tickets.api.message_serializers import (
    MessageEditInputSerializer,
    MessageEditOutputSerializer,
    MessageForwardInputSerializer,
    MessageListQuerySerializer,
    MessageOutputSerializer,
    MessageReactInputSerializer,
    MessageSendInputSerializer,
    NoteAddInputSerializer,
    message_row,
    message_row_from_values,
)
from tickets.errors import MessageNotFound, QuotedMessageInvalid
from tickets.free_text_window import free_text_window_check
from tickets.media import media_response
from tickets.selectors import (
    message_edits_of,
    message_get_for_agent,
    message_on_ticket,
    message_page,
    ticket_get_for_agent,
)
from tickets.services import messages as services


class MessagePagination(KeysetPagination):
    """Newest first on the (ticket, -created_at, -id) index."""

    ordering = ("-created_at", "-id")


class TicketMessagesApi(APIView):
    """GET: the ticket's messages and notes, newest first. POST: send a message (JSON or
    multipart with a ``media`` file; ``scheduled_at`` to send later)."""

    # Documents the list as paginated ({next, previous, results}) in the OpenAPI schema.
    pagination_class = MessagePagination

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="ticket_messages_list",
        parameters=[MessageListQuerySerializer],
        responses={200: MessageOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        query = MessageListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ticket = ticket_get_for_agent(user=request.user, public_id=public_id)
        before = None
        if "before" in query.validated_data:
            before = message_on_ticket(ticket=ticket, public_id=query.validated_data["before"])
            if before is None:
                raise MessageNotFound()
        paginator = MessagePagination()
        # The rows of ``message_page_values(messages_of_ticket(ticket=…, before=…))``, each page
        # read by ``message_page`` with SQL compiled once per shape.
        rows = KeysetRows(
            MessagePagination.ordering, partial(message_page, ticket=ticket, before=before)
        )
        page: list[dict[str, Any]] | None = paginator.paginate_queryset(
            rows,  # type: ignore[arg-type]  # the two steps and the slice the paginator uses
            request,
            view=self,
        )
        # Each row is exactly ``MessageOutputSerializer(message).data``, from plain values.
        on_ticket = {"t_public_id": ticket.public_id}
        zone = output_zone()
        return paginator.get_paginated_response(
            [message_row_from_values({**row, **on_ticket}, zone=zone) for row in page or []]
        )

    @extend_schema(
        operation_id="ticket_messages_send",
        description=(
            "Send a reply (text, file, quote, now or scheduled). A channel that takes only "
            "approved message templates now (WhatsApp more than 24 hours after the customer's "
            "last message) refuses text with 422 `free_text_window_closed`: send a template "
            "with `POST /api/v1/templates/{id}/send/` instead."
        ),
        request={
            "application/json": MessageSendInputSerializer,
            "multipart/form-data": MessageSendInputSerializer,
        },
        responses={201: MessageOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        data = MessageSendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        ticket = ticket_get_for_agent(user=user, public_id=public_id)
        free_text_window_check(ticket)
        quoted = None
        if data.validated_data["quoted"] is not None:
            quoted = message_on_ticket(ticket=ticket, public_id=data.validated_data["quoted"])
            if quoted is None:
                raise QuotedMessageInvalid()
        message = services.message_send(
            ticket=ticket,
            by=user,
            body=data.validated_data["body"],
            media=data.validated_data["media"],
            quoted=quoted,
            scheduled_at=data.validated_data["scheduled_at"],
        )
        return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)


class TicketNoteAddApi(APIView):
    """Add an internal note (agents only; also on closed tickets)."""

    @extend_schema(request=NoteAddInputSerializer, responses={201: MessageOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        data = NoteAddInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        ticket = ticket_get_for_agent(user=user, public_id=public_id)
        note = services.note_add(ticket=ticket, by=user, body=data.validated_data["body"])
        # Exactly ``MessageOutputSerializer(note).data``, built directly.
        return Response(message_row(note), status=status.HTTP_201_CREATED)


class MessageForwardApi(APIView):
    """Forward a message to another ticket (sent as a new message marked forwarded)."""

    @extend_schema(request=MessageForwardInputSerializer, responses={201: MessageOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        data = MessageForwardInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        message = message_get_for_agent(user=user, public_id=public_id)
        target = ticket_get_for_agent(user=user, public_id=data.validated_data["ticket"])
        copy = services.message_forward(message=message, to_ticket=target, by=user)
        return Response(MessageOutputSerializer(copy).data, status=status.HTTP_201_CREATED)


class MessageReactionsApi(APIView):
    """React to a customer's message with one of the emoji its channel offers (sent as a
    reaction message quoting it, through the outbound pipeline)."""

    @extend_schema(request=MessageReactInputSerializer, responses={201: MessageOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        data = MessageReactInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        message = message_get_for_agent(user=user, public_id=public_id)
        reaction = services.message_react(
            message=message, by=user, emoji=data.validated_data["emoji"]
        )
        return Response(MessageOutputSerializer(reaction).data, status=status.HTTP_201_CREATED)


class MessageDetailApi(APIView):
    """PATCH: edit your own text message (history kept). DELETE: soft-delete it."""

    @extend_schema(
        operation_id="message_edit",
        request=MessageEditInputSerializer,
        responses={200: MessageOutputSerializer},
    )
    def patch(self, request: AuthenticatedRequest, public_id: str) -> Response:
        data = MessageEditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        message = message_get_for_agent(user=user, public_id=public_id)
        message = services.message_edit(message=message, by=user, body=data.validated_data["body"])
        return Response(MessageOutputSerializer(message).data)

    @extend_schema(operation_id="message_delete", responses={204: None})
    def delete(self, request: AuthenticatedRequest, public_id: str) -> Response:
        user = request.user
        message = message_get_for_agent(user=user, public_id=public_id)
        services.message_delete(message=message, by=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageScheduleCancelApi(APIView):
    """Cancel a scheduled message that was not handed over yet."""

    @extend_schema(request=None, responses={200: MessageOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        user = request.user
        message = message_get_for_agent(user=user, public_id=public_id)
        message = services.message_schedule_cancel(message=message, by=user)
        return Response(MessageOutputSerializer(message).data)


class MessageEditsApi(APIView):
    """The previous texts of an edited message, oldest first (hidden once it is deleted)."""

    @extend_schema(responses={200: MessageEditOutputSerializer(many=True)})
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        message = message_get_for_agent(user=request.user, public_id=public_id)
        edits = [] if message.deleted_at else list(message_edits_of(message=message))
        return Response(MessageEditOutputSerializer(edits, many=True).data)


class MessageMediaApi(APIView):
    """The message's file, only to agents who may see its ticket (never a public URL)."""

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
        },
        parameters=[OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
    )
    def get(self, request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
        message = message_get_for_agent(user=request.user, public_id=public_id)
        return media_response(message)
