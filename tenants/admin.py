"""The platform admin (public host): super admins create, limit, suspend and resume tenants."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exceptions import FieldValidationError
from tenants import services
from tenants.models import ChannelRoute, Domain, Tenant
from tenants.tenancy import in_public_schema


class PlatformAdminSite(admin.AdminSite):
    """Django admin for platform staff; served only on the base domain (public schema)."""

    site_header = _("TikTickets platform")
    site_title = _("TikTickets platform")
    index_title = _("Tenants and platform staff")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(in_public_schema() and user.is_active and user.is_superuser)


platform_admin_site = PlatformAdminSite(name="platform_admin")


class TenantCreationForm(forms.ModelForm[Tenant]):
    """Everything provisioning needs.

    Validation *is* the provisioning call: the service validates every field and creates the
    tenant atomically, so its field errors land next to the right inputs and a refused tenant
    leaves nothing behind. The admin's save path then only picks up the created tenant.
    """

    slug = forms.CharField(label=_("address (slug)"), max_length=40)
    admin_email = forms.EmailField(label=_("first admin's e-mail"))
    admin_name = forms.CharField(label=_("first admin's name"), required=False, max_length=150)
    admin_password = forms.CharField(
        label=_("first admin's password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text=_("Leave empty to generate one; it is shown once after saving."),
    )

    class Meta:
        model = Tenant
        fields = ["name", "time_zone", "language", "max_users", "max_channels"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.provisioned: services.ProvisionedTenant | None = None

    def _post_clean(self) -> None:
        """Skip ModelForm's instance validation: the service owns it."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.provisioned = services.tenant_provision(
                name=data["name"],
                slug=data["slug"],
                admin_email=data["admin_email"],
                admin_name=data.get("admin_name") or "",
                admin_password=data.get("admin_password") or None,
                time_zone=data["time_zone"],
                language=data["language"],
                max_users=data["max_users"],
                max_channels=data["max_channels"],
            )
        except FieldValidationError as exc:
            for field, errors in exc.extra["fields"].items():
                self.add_error(field if field in self.fields else None, errors)
        return data


@admin.register(Tenant, site=platform_admin_site)
class TenantAdmin(admin.ModelAdmin[Tenant]):
    list_display = ["name", "schema_name", "status", "max_users", "max_channels", "created_at"]
    list_filter = ["status", "language"]
    search_fields = ["name", "schema_name"]
    readonly_fields = ["schema_name", "status", "suspended_at", "created_at", "updated_at"]
    fields = [
        "name",
        "schema_name",
        "status",
        "suspended_at",
        "time_zone",
        "language",
        "max_users",
        "max_channels",
        "created_at",
        "updated_at",
    ]
    actions = ["suspend_tenants", "resume_tenants"]

    def get_form(
        self, request: HttpRequest, obj: Tenant | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = TenantCreationForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Tenant | None = None) -> Any:
        if obj is None:
            return [
                "name",
                "slug",
                "admin_email",
                "admin_name",
                "admin_password",
                "time_zone",
                "language",
                "max_users",
                "max_channels",
            ]
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Tenant | None = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if change:
            return super().save_form(request, form, change)
        result = form.provisioned
        if result.password_generated:
            self.message_user(
                request,
                _("Tenant created. First admin: %(email)s / %(password)s (shown only now).")
                % {"email": result.admin_email, "password": result.admin_password},
                messages.WARNING,
            )
        return result.tenant

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        if change:  # name, limits, language, time zone; the status changes only through actions
            obj.save()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description=_("Suspend selected tenants"))
    def suspend_tenants(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset.exclude(schema_name="public"):
            services.tenant_suspend(tenant=tenant)
        self.message_user(request, _("Suspended."), messages.SUCCESS)

    @admin.action(description=_("Resume selected tenants"))
    def resume_tenants(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            services.tenant_resume(tenant=tenant)
        self.message_user(request, _("Resumed."), messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        return False  # deleting a tenant drops its data: a deliberate operation, not a click


@admin.register(Domain, site=platform_admin_site)
class DomainAdmin(admin.ModelAdmin[Domain]):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__name"]
    readonly_fields = ["tenant"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ChannelRoute, site=platform_admin_site)
class ChannelRouteAdmin(admin.ModelAdmin[ChannelRoute]):
    """Read-only: routes are written by the tenants' connection services."""

    list_display = ["provider", "external_account_id", "tenant", "connection_public_id"]
    list_filter = ["provider"]
    search_fields = ["external_account_id", "tenant__name", "tenant__schema_name"]
    list_select_related = ["tenant"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ChannelRoute | None = None) -> bool:
        return False
