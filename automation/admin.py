"""The tenant Django admin for business hours (with their intervals and holidays), the
out-of-hours notices sent and the distribution turns. The pages (/manage/business-hours/) and
the API go through the services; here admins mostly look."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from automation.models import (
    BusinessHours,
    BusinessHoursHoliday,
    BusinessHoursInterval,
    DistributionTurn,
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
    list_display = ["__str__", "queue", "is_enabled", "updated_at"]
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
