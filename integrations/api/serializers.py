"""Input and output shapes of the integrations API (no logic: services decide)."""

from __future__ import annotations

from rest_framework import serializers

from integrations.scopes import ALL_SCOPES


class ApiKeyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_SCOPES), allow_empty=False, max_length=100
    )
    connection = serializers.UUIDField(required=False, allow_null=True, default=None)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    allowed_ips = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, default=list, max_length=50
    )
    rate_limit_per_minute = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=100_000
    )


class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    connection = serializers.UUIDField(source="connection.public_id", allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    allowed_ips = serializers.ListField(child=serializers.CharField())
    rate_limit_per_minute = serializers.IntegerField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_used_ip = serializers.IPAddressField(allow_null=True)
    created_at = serializers.DateTimeField()


class ApiKeyCreatedOutputSerializer(ApiKeyOutputSerializer):
    secret = serializers.CharField(help_text="Shown once; only its hash is stored.")


class SendApiInputSerializer(serializers.Serializer):
    contact = serializers.UUIDField(required=False, allow_null=True, default=None)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    connection = serializers.UUIDField(required=False, allow_null=True, default=None)
    text = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4096, trim_whitespace=False
    )
    media = serializers.FileField(required=False, allow_null=True, default=None)


class MessageSendOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField()
    kind = serializers.CharField()
    body = serializers.CharField()
    ticket = serializers.UUIDField(source="ticket.public_id")
    contact = serializers.UUIDField(source="ticket.contact.public_id")
    connection = serializers.UUIDField(source="connection.public_id")
    created_at = serializers.DateTimeField()


class ExternalSendInputSerializer(serializers.Serializer):
    """The compatible API's request, field for field (spec §7.5)."""

    body = serializers.CharField(max_length=4096, trim_whitespace=False, allow_blank=True)
    number = serializers.CharField(max_length=40)
    externalKey = serializers.CharField(max_length=255)  # noqa: N815 - the original's field name
    mediaUrl = serializers.URLField(  # noqa: N815
        required=False, allow_blank=True, default="", max_length=2000
    )
    media = serializers.FileField(required=False, allow_null=True, default=None)


class ExternalSendOutputSerializer(serializers.Serializer):
    message = serializers.CharField(help_text='Always "Message add queue", as the original.')
    messageId = serializers.UUIDField(help_text="Ours: the stored message's id.")  # noqa: N815


class ExternalSessionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    status = serializers.CharField()
    status_detail = serializers.CharField(allow_blank=True)


class WebhookCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    url = serializers.URLField(max_length=1000)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=60), allow_empty=False, max_length=50
    )
    format = serializers.ChoiceField(
        choices=["standard", "compatible"], required=False, default="standard"
    )
    auth_header = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    ordered = serializers.BooleanField(required=False, default=False)


class WebhookUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    url = serializers.URLField(max_length=1000, required=False)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=60), allow_empty=False, max_length=50, required=False
    )
    auth_header = serializers.CharField(max_length=500, required=False, allow_blank=True)
    ordered = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class WebhookOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    format = serializers.CharField()
    has_auth_header = serializers.SerializerMethodField()
    ordered = serializers.BooleanField()
    is_active = serializers.BooleanField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField()
    failing_since = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_has_auth_header(self, subscription: object) -> bool:
        return bool(getattr(subscription, "auth_header", ""))


class WebhookSecretOutputSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(help_text="The signing secret; keep it on your side.")


class WebhookAttemptOutputSerializer(serializers.Serializer):
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField()
    response_excerpt = serializers.CharField()
    error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class WebhookDeliveryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    event_id = serializers.UUIDField()
    event_type = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    is_test = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    log = WebhookAttemptOutputSerializer(many=True)


class WebhookRedeliverInputSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()


class WebhookRedeliverOutputSerializer(serializers.Serializer):
    redelivered = serializers.IntegerField()


class WebhookEventTypeOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    format = serializers.CharField()
    description = serializers.CharField()
