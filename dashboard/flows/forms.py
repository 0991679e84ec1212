"""Forms of the flow builder's server-rendered parts: a new flow, and a flow's settings (the
graph itself is edited in the browser and posted as JSON)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _


class FlowCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)


class FlowSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    is_default = forms.BooleanField(
        label=_("Default flow of the account"),
        required=False,
        help_text=_("Used by connections without a flow of their own."),
    )
    connections = forms.MultipleChoiceField(
        label=_("Connections that use this flow"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    test_contacts = forms.CharField(
        label=_("Test contacts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Phone numbers, one per line: when given, only these contacts get the bot."),
    )

    def __init__(self, *args: Any, connections: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["connections"]).choices = connections

    def clean_test_contacts(self) -> list[str]:
        text = self.cleaned_data.get("test_contacts") or ""
        return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
