"""Forms of the flow builder's server-rendered parts: a new flow, and a flow's settings (the
graph itself is edited in the browser and posted as JSON)."""

from __future__ import annotations

import json
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


# --------------------------------------------------------------------------- import

IMPORT_MAX_BYTES = 10 * 1024 * 1024
NONE = "none"


class FlowImportForm(forms.Form):
    """The original system's flow JSON, uploaded as a file or pasted."""

    name = forms.CharField(label=_("Name of the new flow"), max_length=120)
    file = forms.FileField(
        label=_("JSON file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}),
        help_text=_("The flow exported by the original system, or by this one."),
    )
    text = forms.CharField(
        label=_("Or paste the JSON"),
        required=False,
        max_length=IMPORT_MAX_BYTES,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if upload is not None and text:
            raise forms.ValidationError(_("Upload a file or paste the JSON, not both."))
        if upload is not None:
            if upload.size > IMPORT_MAX_BYTES:
                raise forms.ValidationError(_("The file is larger than 10 MB."))
            raw = upload.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc
        if not text:
            raise forms.ValidationError(_("Upload the flow's JSON file or paste its JSON."))
        try:
            data["flow"] = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("This is not valid JSON.")) from exc
        return data


def target_field(kind: str, original_id: str) -> str:
    return f"{kind}__{original_id}"


class FlowImportConfirmForm(forms.Form):
    """The confirmation screen: the new flow's name, the JSON (carried along, hidden) and one
    select per queue and user id the JSON names."""

    name = forms.CharField(label=_("Name of the new flow"), max_length=120)
    flow_json = forms.CharField(widget=forms.HiddenInput, max_length=IMPORT_MAX_BYTES)

    def __init__(
        self,
        *args: Any,
        targets: dict[str, list[Any]],
        queues: list[tuple[int, str]],
        users: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.targets = targets
        texts = {
            "queues": (
                _("Queue %(id)s of the flow"),
                _("None: leave the ticket waiting in its queue"),
                queues,
            ),
            "users": (
                _("User %(id)s of the flow"),
                _("None: leave the ticket waiting for any agent"),
                users,
            ),
        }
        for kind, items in targets.items():
            label, none_label, choices = texts[kind]
            for target in items:
                name = target_field(kind, target.original_id)
                self.fields[name] = forms.ChoiceField(
                    label=label % {"id": target.original_id}
                    + (f" · “{target.name}”" if target.name else ""),
                    choices=[("", _("Choose…")), (NONE, none_label)]
                    + [(str(pk), text) for pk, text in choices],
                    error_messages={"required": _("Choose one, or none.")},
                    help_text=(
                        _("Chosen by its name.")
                        if target.match is not None
                        else _("No queue or user of this account has its name: choose one.")
                        if target.name
                        else _("The flow does not say its name: choose one.")
                    ),
                )
                if target.match is not None:
                    self.initial.setdefault(name, str(target.match))

    def mapping(self, kind: str) -> dict[str, int | None]:
        """``{original id: local id or None}`` of the valid choices of ``kind``."""
        result: dict[str, int | None] = {}
        for target in self.targets.get(kind, []):
            value = self.cleaned_data.get(target_field(kind, target.original_id))
            if value == NONE:
                result[target.original_id] = None
            elif value:
                result[target.original_id] = int(value)
        return result

    def target_fields(self, kind: str) -> list[forms.BoundField]:
        return [self[target_field(kind, t.original_id)] for t in self.targets.get(kind, [])]
