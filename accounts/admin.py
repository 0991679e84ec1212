"""Users in both Django admins: a tenant's admins manage its users on the tenant host, platform
staff manage platform staff on the base host. Both sign-in forms share the lockout counters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.forms import ThrottledAdminAuthenticationForm
from accounts.models import User
from core.exceptions import ApplicationError
from tenants.admin import platform_admin_site

admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = _("TikTickets administration")
admin.site.site_title = _("TikTickets administration")
platform_admin_site.login_form = ThrottledAdminAuthenticationForm


class UserAdminForm(forms.ModelForm[User]):
    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text=_("Only when creating a user; use 'change password' afterwards."),
    )

    class Meta:
        model = User
        fields = ["email", "name", "role", "language", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.created_user: User | None = None

    def _post_clean(self) -> None:
        if self.instance.pk is not None:  # creation was validated (and done) by the service
            super()._post_clean()  # type: ignore[misc]

    def clean(self) -> dict[str, Any]:
        """Creating goes through ``user_create`` (plan limit, password rules), as everywhere."""
        data = super().clean() or {}
        if self.instance.pk is not None or self.errors:
            return data
        try:
            self.created_user = services.user_create(
                email=data["email"],
                name=data.get("name") or "",
                password=data.get("password") or None,
                role=data["role"],
            )
        except ApplicationError as exc:
            fields = exc.extra.get("fields") or {None: [exc.message]}
            for field, errors in fields.items():
                self.add_error(field if field in self.fields else None, errors)
        return data


class UserAdmin(admin.ModelAdmin[User]):
    form = UserAdminForm
    list_display = ["email", "name", "role", "is_active", "last_seen_at", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "name"]
    ordering = ["email"]
    readonly_fields = ["last_login", "last_seen_at", "created_at", "updated_at"]
    change_password_form = AdminPasswordChangeForm

    def get_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        base = ["email", "name", "role", "language", "is_active"]
        if obj is None:
            return [*base, "password"]
        return [*base, "last_login", "last_seen_at", "created_at", "updated_at"]

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        return super().save_form(request, form, change) if change else form.created_user

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if change:
            obj.is_superuser = obj.role == User.Role.ADMIN
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False  # users are deactivated, never deleted (their history stays attributable)


admin.site.register(User, UserAdmin)
platform_admin_site.register(User, UserAdmin)
