"""Serializers of the message templates API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from channels_integrations.models import MessageTemplate
from channels_integrations.services.templates import template_parameters


class TemplateParameterOutputSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    component = serializers.CharField()
    index = serializers.CharField()
    example = serializers.CharField()
    kind = serializers.CharField()


class TemplateOutputSerializer(serializers.Serializer[MessageTemplate]):
    id = serializers.UUIDField(source="public_id")
    connection = serializers.UUIDField(source="connection.public_id")
    name = serializers.CharField()
    language = serializers.CharField()
    category = serializers.CharField()
    status = serializers.CharField()
    rejected_reason = serializers.CharField()
    components = serializers.JSONField()
    parameters = serializers.SerializerMethodField()
    synced_at = serializers.DateTimeField(allow_null=True)

    def get_parameters(self, template: MessageTemplate) -> list[dict[str, Any]]:
        return [
            dict(TemplateParameterOutputSerializer(p).data) for p in template_parameters(template)
        ]


class TemplateListQuerySerializer(serializers.Serializer[Any]):
    connection = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=MessageTemplate.Status.choices, required=False)


class TemplateSyncInputSerializer(serializers.Serializer[Any]):
    connection = serializers.UUIDField()


class TemplateSyncOutputSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()


class UrlButtonInputSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=25)
    url = serializers.CharField(max_length=2000)
    example = serializers.CharField(max_length=2000, required=False, default="")


class TemplateCreateInputSerializer(serializers.Serializer[Any]):
    connection = serializers.UUIDField()
    name = serializers.CharField(max_length=512)
    language = serializers.CharField(max_length=16)
    category = serializers.ChoiceField(choices=MessageTemplate.Category.choices)
    body = serializers.CharField(max_length=1024, help_text=_("Parameters as {{1}}, {{2}}..."))
    body_examples = serializers.ListField(
        child=serializers.CharField(max_length=1024), required=False, default=list
    )
    header_text = serializers.CharField(max_length=60, required=False, default="")
    header_example = serializers.CharField(max_length=1024, required=False, default="")
    footer = serializers.CharField(max_length=60, required=False, default="")
    quick_replies = serializers.ListField(
        child=serializers.CharField(max_length=25), required=False, default=list, max_length=3
    )
    url_button = UrlButtonInputSerializer(required=False, allow_null=True, default=None)


class TemplateSendInputSerializer(serializers.Serializer[Any]):
    """On an open ticket (``ticket``), or starting a conversation with ``contact`` or
    ``phone`` on the template's connection."""

    ticket = serializers.UUIDField(required=False, allow_null=True, default=None)
    contact = serializers.UUIDField(required=False, allow_null=True, default=None)
    phone = serializers.CharField(max_length=32, required=False, default="")
    parameters = serializers.DictField(
        child=serializers.CharField(max_length=2000, allow_blank=True), required=False, default=dict
    )
