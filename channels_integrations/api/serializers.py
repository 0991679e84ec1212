"""Input and output shapes of the channel connections API. Credentials never leave in full:
agents do not see them at all, admins see secret fields masked (last characters only)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from channels_integrations.providers.registry import PROVIDERS, provider_for
from channels_integrations.services.connections import connection_webhook_url
from connections.crypto import CredentialsUnreadable, credentials_masked
from connections.models import ChannelConnection
from tickets.selectors.routing import connection_routing_get


class ConnectionQueueOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _FromRouting:
    """Read from the connection's routing (a tickets model), whose absence means its defaults:
    no queue, no greeting, no farewell."""

    field_name: str | None

    def get_attribute(self, instance: ChannelConnection) -> Any:
        return getattr(connection_routing_get(connection=instance), str(self.field_name))


class RoutingTextOutputField(_FromRouting, serializers.CharField):
    pass


class RoutingQueueOutputSerializer(_FromRouting, ConnectionQueueOutputSerializer):
    pass


class ConnectionOutputSerializer(serializers.Serializer):
    """A connection as agents and integrators see it. ``credentials`` is deliberately absent:
    not masked, not partially shown, not even whether it is set."""

    id = serializers.UUIDField(source="public_id")
    provider = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    status_detail = serializers.CharField()
    default_queue = RoutingQueueOutputSerializer(allow_null=True)
    greeting_message = RoutingTextOutputField()
    farewell_message = RoutingTextOutputField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ConnectionAdminOutputSerializer(ConnectionOutputSerializer):
    """What admins see besides: masked credentials, the provider's facts, the webhook URL, and
    for the web chat the script tag to paste into their site (``context["base_url"]`` is the
    tenant's ``https://host``)."""

    credentials = serializers.SerializerMethodField()
    details = serializers.JSONField()
    webhook_url = serializers.SerializerMethodField()
    embed_snippet = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_credentials(self, connection: ChannelConnection) -> dict[str, Any]:
        try:
            values = connection.credentials
        except CredentialsUnreadable:
            return {}
        secret_fields: tuple[str, ...] = ()
        if connection.provider in PROVIDERS:
            secret_fields = provider_for(connection.provider).secret_fields
        else:  # no adapter to say which fields are secret: mask them all
            secret_fields = tuple(values)
        return credentials_masked(values, secret_fields)

    def get_webhook_url(self, connection: ChannelConnection) -> str:
        return connection_webhook_url(connection)

    def get_embed_snippet(self, connection: ChannelConnection) -> str:
        if connection.provider not in PROVIDERS or "base_url" not in self.context:
            return ""
        adapter = provider_for(connection.provider)
        return adapter.embed_snippet(connection, base_url=self.context["base_url"])


class ConnectionCreateInputSerializer(serializers.Serializer):
    provider = serializers.CharField(
        max_length=32, help_text="a provider installed here: telegram, whatsapp_cloud, ..."
    )
    name = serializers.CharField(max_length=80)
    credentials = serializers.DictField(required=False, default=dict)
    default_queue = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    greeting_message = serializers.CharField(
        max_length=4096, required=False, allow_blank=True, default=""
    )
    farewell_message = serializers.CharField(
        max_length=4096, required=False, allow_blank=True, default=""
    )


class ConnectionUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    credentials = serializers.DictField(required=False)
    default_queue = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    greeting_message = serializers.CharField(max_length=4096, required=False, allow_blank=True)
    farewell_message = serializers.CharField(max_length=4096, required=False, allow_blank=True)
