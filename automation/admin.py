"""The tenant Django admin for the chatbot's models (read-mostly: flows are edited through the
API and its services, which validate graphs and keep versions immutable), business hours (with
their intervals and holidays), the out-of-hours notices sent and the distribution turns. The
pages and the API go through the services; here admins mostly look."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from automation.models import (
    BusinessHours,
    BusinessHoursHoliday,
    BusinessHoursInterval,
    ConnectionFlow,
    DistributionTurn,
    Flow,
    FlowMedia,
    FlowRun,
    FlowVersion,
    OutOfHoursNotice,
)


class IntervalInline(admin.TabularInline[Any, Any]):
    model = BusinessHoursInterval
    extra = 0


class HolidayInline(admin.TabularInline[Any, Any]):
    model = BusinessHoursHoliday
    extra = 0


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin[Any]):
    list_display = ["__str__", "queue", "is_enabled", "bot_stops_out_of_hours", "updated_at"]
    list_select_related = ["queue"]
    inlines = [IntervalInline, HolidayInline]


class _ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Written by the services only."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OutOfHoursNotice)
class OutOfHoursNoticeAdmin(_ReadOnlyAdmin):
    list_display = ["ticket", "period", "created_at"]
    list_select_related = ["ticket"]


@admin.register(DistributionTurn)
class DistributionTurnAdmin(_ReadOnlyAdmin):
    list_display = ["queue", "agent", "last_assigned_at"]
    list_select_related = ["queue", "agent"]


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
        "is_started",
        "paused_period",
    )
