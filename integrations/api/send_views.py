"""The send API: ``POST /api/v1/messages/send/`` (scope ``send:write``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from connections.models import ChannelConnection
from contacts.selectors import contact_get_for_user
from core.selectors import get_visible_or_404
from integrations.api.serializers import MessageSendOutputSerializer, SendApiInputSerializer
from integrations.errors import ApiKeyRequired, ConnectionNotFound
from integrations.models import ApiKey
from integrations.services.sending import SendRequest, api_message_send, idempotency_key_clean
from tickets.models import Message


def message_output(message: Message) -> dict[str, object]:
    message = Message.objects.select_related("ticket__contact", "connection").get(pk=message.pk)
    return dict(MessageSendOutputSerializer(message).data)


class MessageSendApi(APIView):
    """Send a text and/or a file to a contact (by id) or a phone number, on a connection (or
    the key's own). With ``Idempotency-Key`` a retry within 24 hours answers the first
    message (200, ``Idempotent-Replayed: true``) instead of sending again."""

    @extend_schema(
        operation_id="messages_send",
        request={
            "application/json": SendApiInputSerializer,
            "multipart/form-data": SendApiInputSerializer,
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Any unique string up to 255 characters; honoured for 24 hours.",
            )
        ],
        responses={201: MessageSendOutputSerializer, 200: MessageSendOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        key = request.auth
        if not isinstance(key, ApiKey):
            raise ApiKeyRequired()
        data = SendApiInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        connection = None
        if values["connection"] is not None:
            connection = get_visible_or_404(
                ChannelConnection.objects.all(), ConnectionNotFound, public_id=values["connection"]
            )
        contact = None
        if values["contact"] is not None:
            contact = contact_get_for_user(user=request.user, public_id=values["contact"])
        outcome = api_message_send(
            key=key,
            by=request.user,
            request=SendRequest(
                contact=contact,
                phone=values["phone"],
                connection=connection,
                body=values["text"],
                media=values["media"],
            ),
            idempotency_key=idempotency_key_clean(request.headers.get("Idempotency-Key")),
        )
        response = Response(
            message_output(outcome.message),
            status=status.HTTP_200_OK if outcome.replayed else status.HTTP_201_CREATED,
        )
        if outcome.replayed:
            response["Idempotent-Replayed"] = "true"
        return response
