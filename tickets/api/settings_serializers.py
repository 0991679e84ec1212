"""Output shape of the tenant settings API (input is a free dict checked by the service)."""

from __future__ import annotations

from rest_framework import serializers


class TenantSettingOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    type = serializers.CharField(help_text="bool, int or str")
    default = serializers.JSONField(allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment]  # shadows Field.label
    nullable = serializers.BooleanField()
    minimum = serializers.IntegerField(allow_null=True)
    maximum = serializers.IntegerField(allow_null=True)
    max_length = serializers.IntegerField(allow_null=True)
