"""Input and output shapes of the quick replies API."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import QuickReply


class QuickReplyCreateInputSerializer(serializers.Serializer):
    shortcode = serializers.SlugField(max_length=40)
    body = serializers.CharField(max_length=4096)
    shared = serializers.BooleanField(
        default=False, help_text="tenant-wide (admins only) instead of personal"
    )
    media = serializers.FileField(required=False, allow_null=True, default=None)


class QuickReplyUpdateInputSerializer(serializers.Serializer):
    shortcode = serializers.SlugField(max_length=40, required=False)
    body = serializers.CharField(max_length=4096, required=False)
    media = serializers.FileField(required=False, allow_null=True, default=None)
    remove_media = serializers.BooleanField(
        required=False, default=False, help_text="Drop the reply's file (ignored with a new one)."
    )


class QuickReplyListQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, default="", help_text="shortcode prefix")


class QuickReplyRenderQuerySerializer(serializers.Serializer):
    ticket = serializers.UUIDField()


class QuickReplyRenderOutputSerializer(serializers.Serializer):
    text = serializers.CharField()


class QuickReplyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shortcode = serializers.CharField()
    body = serializers.CharField()
    shared = serializers.SerializerMethodField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    media_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_shared(self, quick_reply: QuickReply) -> bool:
        return quick_reply.owner_id is None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_media_url(self, quick_reply: QuickReply) -> str | None:
        if not quick_reply.media:
            return None
        return reverse("quick-reply-media", kwargs={"pk": quick_reply.pk})
