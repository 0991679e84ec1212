"""The compatible external API: ``POST /v1/api/external/<apiId>`` and ``.../start-session``,
accepting the original system's requests (spec automation §7.5) with one of our API keys in
``Authorization: Bearer``. ``apiId`` is the key's id; the key must be bound to the connection
it sends through (the original's "session").

What differs is behind the same request: the message is stored and goes out through our
outbound pipeline once (retrying an ``externalKey`` within 24 hours answers the same message),
``mediaUrl`` downloads are bounded and never reach internal addresses, the number is read
with ``phonenumbers``, the ticket is opened for the key's admin without any bot, and the
answer adds ``messageId``. Errors use our ``{code, message, extra}`` shape.
"""

from __future__ import annotations

from typing import cast
from uuid import UUID

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from channels_integrations.services.connections import connection_check
from connections.models import ChannelConnection
from core.parsers import JSONParser
from integrations.api.serializers import (
    ExternalSendInputSerializer,
    ExternalSendOutputSerializer,
    ExternalSessionOutputSerializer,
)
from integrations.authentication import ApiKeyAuthentication
from integrations.errors import ApiKeyNotFound, ApiKeyRequired, ConnectionRequired
from integrations.media_download import media_download
from integrations.models import ApiKey
from integrations.services.sending import SendRequest, api_message_send

QUEUED = "Message add queue"


def _key_for(request: AuthenticatedRequest, api_id: UUID) -> ApiKey:
    """The request's key, which must be the one the URL names and be bound to a connection."""
    key = request.auth
    if not isinstance(key, ApiKey):
        raise ApiKeyRequired()
    if key.public_id != api_id:
        raise ApiKeyNotFound()
    if key.connection_id is None:
        raise ConnectionRequired(
            message=None, extra={"hint": "bind the API key to a channel connection"}
        )
    return key


class ExternalSendApi(APIView):
    """Send ``body`` (and ``mediaUrl`` or a ``media`` file) to ``number``; 200
    ``{"message": "Message add queue", "messageId": ...}``."""

    authentication_classes = [ApiKeyAuthentication]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="external_send",
        request={
            "application/json": ExternalSendInputSerializer,
            "multipart/form-data": ExternalSendInputSerializer,
        },
        responses={200: ExternalSendOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, api_id: UUID) -> Response:
        key = _key_for(request, api_id)
        data = ExternalSendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        media = values["media"]
        if media is None and values["mediaUrl"]:
            media = media_download(values["mediaUrl"])
        outcome = api_message_send(
            key=key,
            by=request.user,
            request=SendRequest(
                phone=values["number"],
                connection=key.connection,
                body=values["body"],
                media=media,
            ),
            idempotency_key=f"external:{values['externalKey']}",
        )
        return Response({"message": QUEUED, "messageId": str(outcome.message.public_id)})


class ExternalStartSessionApi(APIView):
    """The key's connection, checked again with its provider (the original started its
    WhatsApp session here); answers the connection's state."""

    authentication_classes = [ApiKeyAuthentication]

    @extend_schema(
        operation_id="external_start_session",
        request=None,
        responses={200: ExternalSessionOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, api_id: UUID) -> Response:
        key = _key_for(request, api_id)
        connection = cast(ChannelConnection, key.connection)
        if connection.status != ChannelConnection.Status.CONNECTED:
            connection = connection_check(connection=connection, by=request.user)
        return Response(ExternalSessionOutputSerializer(connection).data)


@extend_schema_view(post=extend_schema(exclude=True))
class ExternalSendSlashApi(ExternalSendApi):
    """The same endpoint with a trailing slash (some integrations add one): documented once."""
