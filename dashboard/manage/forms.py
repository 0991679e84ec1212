"""Forms of the admin pages for users, queues, quick replies and settings: shape only; the
services decide (their errors are put next to the fields by ``dashboard.htmx``)."""

from __future__ import annotations

import zoneinfo
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from dashboard.variable_picker import PICKER_HELP, variable_picker_attach
from tenants.models import Tenant
from tenants.tenant_settings import settings_available
from tickets.message_variables import AGENT_TEXT, SYSTEM_TEXT
from tickets.models import Queue

COLOR = forms.TextInput(attrs={"type": "color"})


def _queue_choices() -> list[tuple[int, str]]:
    return list(Queue.objects.order_by("name").values_list("pk", "name"))


class QueueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    color = forms.CharField(label=_("Colour"), max_length=7, widget=COLOR, initial="#0b7a5c")
    greeting_message = variable_picker_attach(
        forms.CharField(
            label=_("Greeting message"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("Sent to the customer when a ticket lands in this queue (optional)."),
        ),
        SYSTEM_TEXT,
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    distribution = forms.ChoiceField(
        label=_("Automatic distribution"),
        required=False,
        choices=Queue.Distribution.choices,
        initial=Queue.Distribution.NONE,
        help_text=_(
            "How waiting tickets are handed to the queue's online agents without anybody "
            "picking them."
        ),
    )
    agent_capacity = forms.IntegerField(
        label=_("Tickets per agent"),
        required=False,
        min_value=1,
        max_value=500,
        help_text=_(
            "Most pending or open tickets an agent may hold to receive one from this queue "
            "(required for distribution by capacity; empty: no limit)."
        ),
    )
    members = forms.MultipleChoiceField(
        label=_("Agents"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = User.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
        cast(forms.ChoiceField, self.fields["members"]).choices = list(users)


class QueueDeleteForm(forms.Form):
    move_to = forms.TypedChoiceField(
        label=_("Move its tickets to"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, queue: Queue, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = [(pk, name) for pk, name in _queue_choices() if pk != queue.pk]
        cast(forms.ChoiceField, self.fields["move_to"]).choices = [("", _("No queue")), *others]


class QuickReplyForm(forms.Form):
    shortcode = forms.SlugField(
        label=_("Shortcut"), max_length=32, help_text=_("Typed after / in the composer.")
    )
    body = variable_picker_attach(
        forms.CharField(
            label=_("Text"),
            widget=forms.Textarea(attrs={"rows": 4}),
            max_length=4096,
            help_text=PICKER_HELP,
        ),
        AGENT_TEXT,
    )
    shared = forms.BooleanField(
        label=_("Shared with the whole team"), required=False, initial=False
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("Sent with the text as its caption (image, audio, video or document)."),
    )
    remove_media = forms.BooleanField(label=_("Remove the file"), required=False)

    def __init__(
        self, *args: Any, can_share: bool = False, has_media: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not can_share:
            del self.fields["shared"]
        if has_media:
            self.fields["file"].label = _("Replace the file")
        else:
            del self.fields["remove_media"]


class UserForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices)
    language = forms.ChoiceField(label=_("Language"), choices=User.Language.choices, required=False)
    queues = forms.MultipleChoiceField(
        label=_("Queues"), required=False, widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("At least 10 characters. Leave empty to keep the current one."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["queues"]).choices = _queue_choices()
        if editing:
            del self.fields["email"]
            del self.fields["password"]
        else:
            self.fields["password"].required = True
            self.fields["password"].help_text = _("At least 10 characters.")


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(zoneinfo.available_timezones())]


class SettingsForm(forms.Form):
    """The tenant's time zone and language, then one field per available tenant setting, typed
    by its spec (tenants/tenant_settings.py)."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Dates on every page and protocol numbers follow it."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=Tenant.Language.choices,
        help_text=_('For users whose language is "Account default".'),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = _time_zone_choices()
        for key, spec in settings_available().items():
            label: Any = spec.label
            field: forms.Field
            if spec.type is bool:
                field = forms.BooleanField(label=label, required=False)
            elif spec.type is int:
                field = forms.IntegerField(
                    label=label,
                    required=not spec.nullable,
                    min_value=spec.minimum,
                    max_value=spec.maximum,
                )
            else:
                field = forms.CharField(
                    label=label,
                    required=False,
                    max_length=spec.max_length,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
            self.fields[key] = field
