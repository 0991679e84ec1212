"""Forms of the platform pages. They check the shape of the input; the tenants services decide
(a taken or reserved address, a weak password, an unknown time zone, limits out of range)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant


class PlatformForm(forms.Form):
    """Every input carries ``data-testid="platform-<field>"`` for the browser tests."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("data-testid", f"platform-{name.replace('_', '-')}")


class TenantCreateForm(PlatformForm):
    name = forms.CharField(label=_("Company name"), max_length=120)
    slug = forms.CharField(
        label=_("Address (slug)"),
        max_length=40,
        help_text=_(
            "Lower-case letters, digits and hyphens; the company's address will be "
            "https://<slug>.<this domain>/."
        ),
    )
    admin_email = forms.EmailField(label=_("First admin's e-mail"))
    admin_name = forms.CharField(label=_("First admin's name"), max_length=150, required=False)
    admin_password = forms.CharField(
        label=_("First admin's password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one; it is shown once after saving."),
    )
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="America/Sao_Paulo")
    language = forms.ChoiceField(
        label=_("Language"), choices=Tenant.Language.choices, initial=Tenant.Language.PT_BR
    )
    max_users = forms.IntegerField(label=_("Maximum users"), initial=10)
    max_channels = forms.IntegerField(label=_("Maximum channel connections"), initial=3)


class TenantLimitsForm(PlatformForm):
    max_users = forms.IntegerField(label=_("Maximum users"))
    max_channels = forms.IntegerField(label=_("Maximum channel connections"))
    api_rate_limit_per_minute = forms.IntegerField(
        label=_("API requests per minute (all keys)"),
        required=False,
        help_text=_("Empty: the installation's default."),
    )
