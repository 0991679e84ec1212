from django.contrib import admin

from privacy.models import PrivacyRequest, RetentionPolicy


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin[PrivacyRequest]):
    list_display = ["kind", "contact_ref", "status", "progress", "created_at", "fulfilled_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in PrivacyRequest._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin[RetentionPolicy]):
    list_display = ["is_enabled", "months", "action", "last_run_at"]
