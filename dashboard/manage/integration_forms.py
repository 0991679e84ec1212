"""Forms of the integrations admin pages (API keys, webhooks): shape only, services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from connections.models import ChannelConnection
from integrations.models import WebhookSubscription
from integrations.scopes import FAMILIES, PRESET_FULL, PRESET_SEND_ONLY, READ, WRITE
from integrations.webhook_events import EVENT_TYPES

ACCESS_CHOICES: list[tuple[str, str | Promise]] = [
    ("", _("No access")),
    (READ, _("Read")),
    (WRITE, _("Read and write")),
]


def _connection_choices() -> list[tuple[str, str | Promise]]:
    rows = ChannelConnection.objects.filter(is_active=True).order_by("name")
    return [("", _("Any connection")), *((str(c.public_id), c.name) for c in rows)]


class ApiKeyForm(forms.Form):
    """A new key: name, a preset or custom scopes per family, and its optional limits."""

    PRESETS = [
        ("send", _("Send only")),
        ("full", _("Full access")),
        ("custom", _("Choose per resource")),
    ]

    name = forms.CharField(label=_("Name"), max_length=80)
    preset = forms.ChoiceField(
        label=_("Access"), choices=PRESETS, initial="send", widget=forms.RadioSelect
    )
    connection = forms.ChoiceField(
        label=_("Bound to connection"),
        required=False,
        help_text=_("The key sends only through this connection."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    allowed_ips = forms.CharField(
        label=_("Allowed addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One address or network (CIDR) per line; empty: any address."),
    )
    rate_limit_per_minute = forms.IntegerField(
        label=_("Requests per minute"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=_("Empty: the account's default."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["connection"]).choices = _connection_choices()
        for family, label in FAMILIES.items():
            self.fields[f"scope_{family}"] = forms.ChoiceField(
                label=str(label), choices=ACCESS_CHOICES, required=False
            )

    def scope_fields(self) -> list[forms.BoundField]:
        return [self[f"scope_{family}"] for family in FAMILIES]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.base_fields if not name.startswith("scope_")]

    def scopes(self) -> list[str]:
        preset = self.cleaned_data["preset"]
        if preset == "full":
            return list(PRESET_FULL)
        if preset == "send":
            return list(PRESET_SEND_ONLY)
        chosen = ((family, self.cleaned_data.get(f"scope_{family}")) for family in FAMILIES)
        return [f"{family}:{access}" for family, access in chosen if access]

    def ip_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["allowed_ips"].splitlines()]


def _event_type_choices() -> list[tuple[str, str]]:
    return [(name, f"{name} — {event.description}") for name, event in EVENT_TYPES.items()]


class WebhookForm(forms.Form):
    """A new subscription: where, which events, in which format."""

    name = forms.CharField(label=_("Name"), max_length=80)
    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https")
    format = forms.ChoiceField(
        label=_("Format"),
        choices=WebhookSubscription.Format.choices,
        initial=WebhookSubscription.Format.STANDARD,
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=_event_type_choices, widget=forms.CheckboxSelectMultiple
    )
    auth_header = forms.CharField(
        label=_("Authorization header"),
        required=False,
        max_length=500,
        help_text=_("Sent as is in the Authorization header of every delivery (optional)."),
    )
    ordered = forms.BooleanField(
        label=_("Deliver each ticket's events in order, one at a time"), required=False
    )


class RedeliverRangeForm(forms.Form):
    since = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.DateTimeField(
        label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
