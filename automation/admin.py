"""Django admin pages of the chatbot's models (read-mostly: flows are edited through the API
and its services, which validate graphs and keep versions immutable)."""

from django.contrib import admin

from automation.models import ConnectionFlow, Flow, FlowMedia, FlowRun, FlowVersion


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin[Flow]):
    list_display = ("name", "is_active", "is_default", "current_version", "deleted_at")
    list_filter = ("is_active", "is_default")
    search_fields = ("name",)
    readonly_fields = ("public_id", "current_version", "deleted_at")


@admin.register(FlowVersion)
class FlowVersionAdmin(admin.ModelAdmin[FlowVersion]):
    list_display = ("flow", "number", "created_by", "created_at", "note")
    readonly_fields = ("flow", "number", "graph", "created_by", "note")


@admin.register(FlowMedia)
class FlowMediaAdmin(admin.ModelAdmin[FlowMedia]):
    list_display = ("name", "mime", "size", "created_at")
    readonly_fields = ("public_id", "file", "name", "mime", "size", "kind")


@admin.register(ConnectionFlow)
class ConnectionFlowAdmin(admin.ModelAdmin[ConnectionFlow]):
    list_display = ("connection", "flow")


@admin.register(FlowRun)
class FlowRunAdmin(admin.ModelAdmin[FlowRun]):
    list_display = ("ticket", "version", "node_id", "retries", "ended_at", "end_reason")
    list_filter = ("end_reason",)
    readonly_fields = (
        "ticket",
        "version",
        "node_id",
        "retries",
        "step",
        "last_interaction_at",
        "inactive_at",
        "ended_at",
        "end_reason",
    )
