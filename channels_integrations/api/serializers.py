"""Output shapes of the channel connections API (read-only here; credentials never appear)."""

from __future__ import annotations

from rest_framework import serializers


class ConnectionQueueOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ConnectionOutputSerializer(serializers.Serializer):
    """A connection as agents and integrators see it. ``credentials`` is deliberately absent:
    not masked, not partially shown, not even whether it is set."""

    id = serializers.UUIDField(source="public_id")
    provider = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    status_detail = serializers.CharField()
    default_queue = ConnectionQueueOutputSerializer(allow_null=True)
    greeting_message = serializers.CharField()
    farewell_message = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
