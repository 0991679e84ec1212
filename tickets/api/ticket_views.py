"""Tickets API: the inbox list, detail, outbound create, lifecycle actions, the timeline, and
merging contacts. Tickets the caller may not see answer 404; the services decide the rest."""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from connections.models import ChannelConnection
from contacts.models import Contact
from contacts.selectors import contact_get_for_user
from core.datetimes import output_zone
from core.exceptions import FieldValidationError
from core.pagination import KeysetPagination, KeysetRows
from tickets.api.ticket_serializers import (
    ContactMergeInputSerializer,
    ContactMergeOutputSerializer,
    ConversationOptionOutputSerializer,
    ConversationOptionsQuerySerializer,
    ConversationStartInputSerializer,
    TicketCreateInputSerializer,
    TicketDetailOutputSerializer,
    TicketEventOutputSerializer,
    TicketListQuerySerializer,
    TicketOutputSerializer,
    TicketTagOutputSerializer,
    TicketTagsSetInputSerializer,
    TicketTransferInputSerializer,
    ticket_detail_row,
    ticket_row_from_values,
)
from tickets.models import Queue
from tickets.selectors import (
    ticket_detail_and_tags_for_agent,
    ticket_detail_for_agent,
    ticket_events_of,
    ticket_get_for_agent,
    ticket_inbox_page,
)
from tickets.services import tickets as services
from tickets.services.contact_merge import contact_merge
from tickets.services.conversations import (
    conversation_contact_for_phone,
    conversation_options,
    conversation_start,
)


def _detail(ticket_public_id: Any, user: User) -> Response:
    ticket, tags = ticket_detail_and_tags_for_agent(user=user, public_id=ticket_public_id)
    permissions = services.ticket_permissions(ticket=ticket, user=user)
    # Exactly ``TicketDetailOutputSerializer(ticket, context=…).data``, built directly.
    return Response(ticket_detail_row(ticket, tags=tags, permissions=permissions))


def _queue_or_error(queue_id: int | None, field: str = "queue") -> Queue | None:
    if queue_id is None:
        return None
    queue = Queue.objects.filter(pk=queue_id).first()
    if queue is None:
        raise FieldValidationError({field: [str(_("Unknown queue."))]})
    return queue


def _connection_or_error(public_id: Any) -> ChannelConnection:
    connection = ChannelConnection.objects.filter(public_id=public_id).first()
    if connection is None:
        raise FieldValidationError({"connection": [str(_("Unknown channel connection."))]})
    return connection


def _agent_or_error(agent_id: int | None) -> User | None:
    if agent_id is None:
        return None
    agent = User.objects.filter(pk=agent_id).first()
    if agent is None:
        raise FieldValidationError({"agent": [str(_("Unknown agent."))]})
    return agent


class TicketPagination(KeysetPagination):
    """Most recent activity first, on the inbox indexes (…, -last_message_at, -id)."""

    ordering = ("-last_message_at", "-id")


class TicketEventPagination(KeysetPagination):
    """Timeline order (oldest first) on the (ticket, created_at, id) index."""

    ordering = ("created_at", "id")


# The pagination's own parameters: not filters, and different on every page.
_PAGE_PARAMS = frozenset({"cursor", "page_size"})


@lru_cache(maxsize=1024)
def _valid_list_filters(params: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, Any]:
    """The validated filters of a list's query parameters; raises the serializer's 400.

    A pure function of the parameters (no database, no user, no language in a valid answer), so
    each process keeps the answers of the last parameter sets it validated: an agent's inbox
    asks for the same few filters again and again, and validating them costs more than the
    page's SQL. Invalid parameters raise and are never kept, so every 400 is the serializer's,
    in the caller's language. Lists are kept as tuples, so no caller can change a kept answer.
    """
    query = QueryDict(mutable=True)
    for key, values in params:
        query.setlist(key, list(values))
    serializer = TicketListQuerySerializer(data=query)
    serializer.is_valid(raise_exception=True)
    return {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in serializer.validated_data.items()
    }


def _list_filters(query_params: QueryDict) -> dict[str, Any]:
    params = tuple(
        (key, tuple(values)) for key, values in query_params.lists() if key not in _PAGE_PARAMS
    )
    return dict(_valid_list_filters(params))  # the kept answer stays as it was


class TicketListApi(APIView):
    """GET: the inbox, filtered. POST: start an outbound ticket with a contact."""

    # Documents the list as paginated ({next, previous, results}) in the OpenAPI schema.
    pagination_class = TicketPagination

    @extend_schema(
        operation_id="tickets_list",
        parameters=[TicketListQuerySerializer],
        responses={200: TicketOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = _list_filters(request.query_params)
        paginator = TicketPagination()
        # The same rows as ``ticket_inbox_rows(ticket_list_for_inbox(…))``, each page read by
        # ``ticket_inbox_page`` with SQL compiled once per shape of the query.
        rows = KeysetRows(
            TicketPagination.ordering,
            partial(
                ticket_inbox_page,
                user=request.user,
                status=filters["status"],
                scope=filters["scope"],
                queue_ids=filters["queue"],
                tag_ids=filters["tag"],
                connection_ids=filters["connection"],
                assignee=filters["assignee"],
                unread_only=filters["unread"],
                created_from=filters["created_from"],
                created_to=filters["created_to"],
                search=filters["search"],
            ),
        )
        page: list[dict[str, Any]] | None = paginator.paginate_queryset(
            rows,  # type: ignore[arg-type]  # the two steps and the slice the paginator uses
            request,
            view=self,
        )
        zone = output_zone()
        return paginator.get_paginated_response(
            [ticket_row_from_values(row, zone=zone) for row in page or []]
        )

    @extend_schema(
        operation_id="tickets_create",
        request=TicketCreateInputSerializer,
        responses={201: TicketDetailOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = TicketCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        contact = contact_get_for_user(user=user, public_id=data.validated_data["contact"])
        connection = _connection_or_error(data.validated_data["connection"])
        queue = _queue_or_error(data.validated_data["queue"])
        ticket = services.ticket_create_outbound(
            contact=contact, connection=connection, by=user, queue=queue
        )
        response = _detail(ticket.public_id, user)
        response.status_code = status.HTTP_201_CREATED
        return response


class ConversationStartApi(APIView):
    """Start a conversation (the agent writes first): to ``contact`` or ``phone`` (matched, or
    a new contact), on ``connection``, with ``body``. Answers the new open ticket, assigned to
    the caller; 409 ``active_ticket_exists`` (``extra.ticket_id``) when the contact already has
    one there; 422 ``conversation_cannot_start`` with the channel's reason."""

    @extend_schema(
        operation_id="conversations_create",
        request=ConversationStartInputSerializer,
        responses={201: TicketDetailOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = ConversationStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, values = request.user, data.validated_data
        contact = None
        if values["contact"] is not None:
            contact = contact_get_for_user(user=user, public_id=values["contact"])
        ticket = conversation_start(
            by=user,
            connection=_connection_or_error(values["connection"]),
            body=values["body"],
            contact=contact,
            phone=values["phone"],
        )
        response = _detail(ticket.public_id, user)
        response.status_code = status.HTTP_201_CREATED
        return response


class ConversationConnectionsApi(APIView):
    """The active connections as ways to start a conversation with ``contact`` or ``phone``:
    which can, why the others cannot, and the contact's tickets already active on them."""

    @extend_schema(
        parameters=[ConversationOptionsQuerySerializer],
        responses={200: ConversationOptionOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        query = ConversationOptionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user, values = request.user, query.validated_data
        contact: Contact | None
        if values["contact"] is not None:
            contact = contact_get_for_user(user=user, public_id=values["contact"])
        elif values["phone"].strip():
            contact = conversation_contact_for_phone(user=user, phone=values["phone"])
        else:
            raise FieldValidationError(
                {"contact": [str(_("Choose a contact or type a phone number."))]}
            )
        options = conversation_options(contact=contact)
        return Response(ConversationOptionOutputSerializer(options, many=True).data)


class TicketDetailApi(APIView):
    """GET: one ticket, with its contact and what the caller may do on it. DELETE: soft-delete
    a closed ticket (admins only; ``restore/`` brings it back), answering the deleted ticket."""

    @extend_schema(operation_id="tickets_detail", responses={200: TicketDetailOutputSerializer})
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        return _detail(public_id, request.user)

    @extend_schema(request=None, responses={200: TicketDetailOutputSerializer})
    def delete(self, request: AuthenticatedRequest, public_id: str) -> Response:
        user = request.user
        ticket = ticket_get_for_agent(user=user, public_id=public_id)
        services.ticket_soft_delete(ticket=ticket, by=user)
        return _detail(public_id, user)


class TicketAcceptApi(APIView):
    """Take a pending ticket: it opens, assigned to the caller; 409 if someone was faster."""

    @extend_schema(request=None, responses={200: TicketDetailOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        user = request.user
        ticket = ticket_get_for_agent(user=user, public_id=public_id)
        services.ticket_accept(ticket=ticket, by=user)
        return _detail(public_id, user)


class TicketTransferApi(APIView):
    """Transfer to a queue and/or an agent, with an optional note for the timeline."""

    @extend_schema(
        request=TicketTransferInputSerializer, responses={200: TicketDetailOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        data = TicketTransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        ticket = ticket_get_for_agent(user=user, public_id=public_id)
        services.ticket_transfer(
            ticket=ticket,
            by=user,
            to_queue=_queue_or_error(data.validated_data["queue"]),
            to_agent=_agent_or_error(data.validated_data["agent"]),
            note=data.validated_data["note"],
        )
        return _detail(public_id, user)


class TicketReturnApi(APIView):
    """Give an open ticket back to its queue (pending, unassigned)."""

    @extend_schema(request=None, responses={200: TicketDetailOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        user = request.user
        ticket = ticket_get_for_agent(user=user, public_id=public_id)
        services.ticket_return_to_queue(ticket=ticket, by=user)
        return _detail(public_id, user)


class TicketCloseApi(APIView):
    """Close the ticket; the connection's farewell message is queued when enabled."""

    @extend_schema(request=None, responses={200: TicketDetailOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        user = request.user
        ticket = ticket_get_for_agent(user=user, public_id=public_id)
        services.ticket_close(ticket=ticket, by=user)
        return _detail(public_id, user)


class TicketReopenApi(APIView):
    """Reopen a closed ticket, assigned to the caller."""

    @extend_schema(request=None, responses={200: TicketDetailOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        user = request.user
        ticket = ticket_get_for_agent(user=user, public_id=public_id)
        services.ticket_reopen(ticket=ticket, by=user)
        return _detail(public_id, user)


class TicketMarkReadApi(APIView):
    """The caller has read the conversation: its unread counter goes to zero."""

    @extend_schema(request=None, responses={200: TicketDetailOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        user = request.user
        ticket = ticket_get_for_agent(user=user, public_id=public_id)
        services.ticket_mark_read(ticket=ticket, by=user)
        return _detail(public_id, user)


class TicketTagsSetApi(APIView):
    """Replace the tags of the ticket's contact (recorded on this ticket's timeline)."""

    @extend_schema(
        request=TicketTagsSetInputSerializer, responses={200: TicketTagOutputSerializer(many=True)}
    )
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        data = TicketTagsSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        ticket = ticket_get_for_agent(user=user, public_id=public_id)
        tags = services.ticket_tags_set(
            ticket=ticket, by=user, tag_ids=data.validated_data["tag_ids"]
        )
        return Response(TicketTagOutputSerializer(tags, many=True).data)


class TicketRestoreApi(APIView):
    """Bring back a soft-deleted ticket (admins only)."""

    @extend_schema(request=None, responses={200: TicketDetailOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        user = require_admin(request.user)
        ticket = ticket_detail_for_agent(user=user, public_id=public_id)
        services.ticket_restore(ticket=ticket, by=user)
        return _detail(public_id, user)


class TicketEventsApi(APIView):
    """The ticket's timeline, oldest first."""

    # Documents the list as paginated ({next, previous, results}) in the OpenAPI schema.
    pagination_class = TicketEventPagination

    @extend_schema(
        operation_id="tickets_events_list", responses={200: TicketEventOutputSerializer(many=True)}
    )
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        ticket = ticket_get_for_agent(user=request.user, public_id=public_id)
        paginator = TicketEventPagination()
        page = paginator.paginate_queryset(ticket_events_of(ticket=ticket), request, view=self)
        return paginator.get_paginated_response(TicketEventOutputSerializer(page, many=True).data)


class ContactMergeApi(APIView):
    """Fold another contact into this one (admins only)."""

    @extend_schema(
        request=ContactMergeInputSerializer, responses={200: ContactMergeOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        user = require_admin(request.user)
        data = ContactMergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        survivor = contact_get_for_user(user=user, public_id=public_id)
        merged = contact_get_for_user(user=user, public_id=data.validated_data["merged"])
        survivor = contact_merge(survivor=survivor, merged=merged, by=user)
        return Response(ContactMergeOutputSerializer(survivor).data)
