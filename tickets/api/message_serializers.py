"""Input and output shapes of the messages API (no create/update: services decide)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import Message, MessageEdit


class MessageSendInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    media = serializers.FileField(required=False, allow_null=True, default=None)
    quoted = serializers.UUIDField(required=False, allow_null=True, default=None)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class NoteAddInputSerializer(serializers.Serializer):
    body = serializers.CharField()


class MessageForwardInputSerializer(serializers.Serializer):
    ticket = serializers.UUIDField(help_text="public id of the target ticket")


class MessageEditInputSerializer(serializers.Serializer):
    body = serializers.CharField()


class MessageListQuerySerializer(serializers.Serializer):
    before = serializers.UUIDField(required=False, help_text="only messages older than this one")


class MessageSenderUserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MessageMediaOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    mime = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    url = serializers.CharField()


class MessageQuotedOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    preview = serializers.CharField()
    deleted = serializers.BooleanField()


class MessageOutputSerializer(serializers.Serializer):
    """A message as agents see it; a deleted message keeps its place but not its content."""

    id = serializers.UUIDField(source="public_id")
    ticket = serializers.UUIDField(source="ticket.public_id")
    direction = serializers.CharField()
    sender = serializers.CharField()
    sender_user = serializers.SerializerMethodField()
    kind = serializers.CharField()
    body = serializers.SerializerMethodField()
    payload = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()
    quoted = serializers.SerializerMethodField()
    deleted = serializers.SerializerMethodField()
    is_forwarded = serializers.BooleanField()
    is_note = serializers.BooleanField()
    status = serializers.CharField()
    error_code = serializers.CharField()
    error_detail = serializers.CharField()
    scheduled_at = serializers.DateTimeField(allow_null=True)
    dispatched_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(MessageSenderUserOutputSerializer(allow_null=True))
    def get_sender_user(self, message: Message) -> dict[str, Any] | None:
        user = message.sender_user
        return None if user is None else {"id": user.pk, "name": user.name or user.email}

    @extend_schema_field(OpenApiTypes.STR)
    def get_body(self, message: Message) -> str:
        return "" if message.deleted_at else message.body

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, message: Message) -> dict[str, Any]:
        return {} if message.deleted_at else message.payload

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_deleted(self, message: Message) -> bool:
        return message.deleted_at is not None

    @extend_schema_field(MessageMediaOutputSerializer(allow_null=True))
    def get_media(self, message: Message) -> dict[str, Any] | None:
        if not message.media or message.deleted_at:
            return None
        return {
            "name": message.media_name,
            "mime": message.media_mime,
            "size": message.media_size,
            "url": reverse("message-media", kwargs={"public_id": message.public_id}),
        }

    @extend_schema_field(MessageQuotedOutputSerializer(allow_null=True))
    def get_quoted(self, message: Message) -> dict[str, Any] | None:
        quoted = message.quoted
        if quoted is None:
            return None
        deleted = quoted.deleted_at is not None
        return {
            "id": quoted.public_id,
            "preview": "" if deleted else quoted.preview(),
            "deleted": deleted,
        }


class MessageEditOutputSerializer(serializers.Serializer):
    previous_body = serializers.CharField()
    edited_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(MessageSenderUserOutputSerializer(allow_null=True))
    def get_edited_by(self, edit: MessageEdit) -> dict[str, Any] | None:
        user = edit.edited_by
        return None if user is None else {"id": user.pk, "name": user.name or user.email}
