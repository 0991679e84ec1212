"""Input and output shapes of the flows API (``/api/v1/flows/``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from automation.models import Flow, FlowVersion


class FlowCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    graph = serializers.JSONField(
        required=False,
        default=None,
        allow_null=True,
        help_text="the graph (see docs/automation.md)",
    )
    is_active = serializers.BooleanField(required=False, default=True)
    is_default = serializers.BooleanField(required=False, default=False)
    test_contacts = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=20
    )
    connection_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=200
    )


class FlowUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    is_active = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(required=False)
    test_contacts = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=20
    )
    connection_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=200
    )


class FlowGraphInputSerializer(serializers.Serializer):
    graph = serializers.JSONField()
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class FlowValidateOutputSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    problems = serializers.ListField(
        child=serializers.DictField(),
        help_text="each problem: {node, field, code, message}; node is null for the settings",
    )


class FlowDuplicateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)


class FlowTestRunInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        default=None,
        allow_null=True,
        help_text="default: the current version",
    )
    graph = serializers.JSONField(
        required=False,
        default=None,
        allow_null=True,
        help_text="an unsaved graph to try instead of a version",
    )
    state = serializers.JSONField(
        required=False,
        default=None,
        allow_null=True,
        help_text='null starts the flow; else {"node": id, "retries": n} from the last answer',
    )
    text = serializers.CharField(max_length=4096, required=False, default="", allow_blank=True)


class FlowTestRunOutputSerializer(serializers.Serializer):
    state = serializers.JSONField(allow_null=True)
    replies = serializers.ListField(child=serializers.DictField())
    steps = serializers.ListField(child=serializers.DictField())
    handoff = serializers.JSONField(allow_null=True)


class FlowImportInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    flow = serializers.JSONField(help_text="the original system's {nodeList, lineList}")
    queues = serializers.DictField(
        child=serializers.CharField(max_length=120, allow_blank=True),
        required=False,
        default=dict,
        help_text="original queue id -> local queue name",
    )
    users = serializers.DictField(
        child=serializers.CharField(max_length=254, allow_blank=True),
        required=False,
        default=dict,
        help_text="original user id -> local user e-mail or name",
    )
    confirm = serializers.BooleanField(
        required=False, default=False, help_text="false: preview only, nothing stored"
    )


class FlowImportPreviewOutputSerializer(serializers.Serializer):
    queues = serializers.DictField(child=serializers.IntegerField())
    users = serializers.DictField(child=serializers.IntegerField())
    unmapped_queues = serializers.ListField(child=serializers.CharField())
    unmapped_users = serializers.ListField(child=serializers.CharField())
    graph = serializers.JSONField()
    problems = serializers.ListField(child=serializers.DictField(), required=False)


class FlowMediaOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    mime = serializers.CharField()
    size = serializers.IntegerField()
    kind = serializers.CharField()


class FlowMediaInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class FlowVersionOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    note = serializers.CharField()
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()


class FlowVersionDetailOutputSerializer(FlowVersionOutputSerializer):
    graph = serializers.JSONField()


class FlowOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    is_active = serializers.BooleanField()
    is_default = serializers.BooleanField()
    test_contacts = serializers.ListField(child=serializers.CharField())
    connection_ids = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_connection_ids(self, flow: Flow) -> list[str]:
        # Reads the prefetched links (automation.selectors.flows.flows_list).
        return [str(link.connection.public_id) for link in flow.connection_links.all()]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_version(self, flow: Flow) -> int | None:
        version: FlowVersion | None = flow.current_version
        return version.number if version else None


class FlowDetailOutputSerializer(FlowOutputSerializer):
    graph = serializers.SerializerMethodField()

    @extend_schema_field(serializers.JSONField())
    def get_graph(self, flow: Flow) -> Any:
        return flow.current_version.graph if flow.current_version else None
