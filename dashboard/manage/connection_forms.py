"""The connection form of the admin pages: common fields plus the credential fields of the
chosen provider, built from the credentials serializer the provider declares (shape only; the
provider's serializer and the provider itself check the credentials)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.forms.utils import pretty_name
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from channels_integrations.services.webchat_avatar import webchat_avatar_check
from connections.providers.base import ConnectionProvider
from connections.providers.registry import provider_for, provider_installed
from core.exceptions import FieldValidationError
from dashboard.variable_picker import PICKER_HELP, variable_picker_attach
from tickets.message_variables import SYSTEM_TEXT
from tickets.models import Queue

# A secret is never read back from storage into the page (secret fields have no initial
# value); what the admin just typed is kept when the form comes back with an error (a token
# the provider refused is corrected, not typed again).
SECRET = forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"})
KEEP_CURRENT = _("Leave empty to keep the current value.")


class LinesField(forms.CharField):
    """A list of short values, one per line (a serializer's ``ListField``)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(str(item) for item in value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


def _secret(
    provider: ConnectionProvider, name: str, declared: serializers.Field[Any, Any, Any, Any]
) -> bool:
    return bool(declared.write_only) or name in provider.secret_fields


def credential_form_fields(
    provider: ConnectionProvider, *, editing: bool = False
) -> dict[str, forms.Field]:
    """Form fields of the provider's credentials, from its declared serializer: label, help
    text, required, and a password input that never shows the value for secret (write-only)
    fields. When editing, nothing is required: an empty field keeps the current value."""
    fields: dict[str, forms.Field] = {}
    for name, declared in provider.credential_fields().items():
        if declared.read_only:
            continue
        secret = _secret(provider, name, declared)
        help_texts = [str(declared.help_text or "")]
        if editing and secret:
            help_texts.append(str(KEEP_CURRENT))
        options: dict[str, Any] = {
            "label": declared.label or pretty_name(name),
            "required": declared.required and not editing,
            "help_text": " ".join(text for text in help_texts if text),
        }
        if isinstance(declared, serializers.ListField):
            fields[name] = LinesField(**options)
        elif isinstance(declared, serializers.BooleanField):
            fields[name] = forms.BooleanField(**{**options, "required": False})
        elif isinstance(declared, serializers.ChoiceField):
            # A closed list (the e-mail servers' TLS mode): a select starting on the default.
            fields[name] = forms.ChoiceField(
                choices=[(key, str(label)) for key, label in declared.choices.items()],
                initial=None if declared.default is empty else declared.default,
                **options,
            )
        elif declared.style.get("input_type") == "color":
            # A picker starts on the default colour; its value is always a "#rrggbb".
            fields[name] = forms.CharField(
                widget=forms.TextInput(attrs={"type": "color"}),
                initial=declared.default,
                **options,
            )
        else:
            max_length = getattr(declared, "max_length", None)
            widget = SECRET if secret else forms.TextInput
            fields[name] = forms.CharField(max_length=max_length, widget=widget, **options)
    return fields


class ConnectionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    default_queue = forms.TypedChoiceField(
        label=_("New tickets go to"), coerce=int, required=False, empty_value=None
    )
    greeting_message = variable_picker_attach(
        forms.CharField(
            label=_("Greeting message"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=PICKER_HELP,
        ),
        SYSTEM_TEXT,
    )
    farewell_message = variable_picker_attach(
        forms.CharField(
            label=_("Farewell message"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=PICKER_HELP,
        ),
        SYSTEM_TEXT,
    )

    def __init__(
        self,
        *args: Any,
        provider: str,
        current_credentials: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """``current_credentials`` (editing an existing connection) fill in the non-secret
        credential fields; secret ones stay empty."""
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.editing = current_credentials is not None
        self.current_credentials = dict(current_credentials or {})
        queues = Queue.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
        self.fields["default_queue"].choices = [("", _("No queue")), *queues]  # type: ignore[attr-defined]
        self.credential_names: list[str] = []
        self.secret_names: set[str] = set()
        if not provider_installed(provider):  # no adapter left to say what it takes
            return
        adapter = provider_for(provider)
        declared = adapter.credential_fields()
        for name, field in credential_form_fields(adapter, editing=self.editing).items():
            self.fields[name] = field
            self.credential_names.append(name)
            if _secret(adapter, name, declared[name]):
                self.secret_names.add(name)
            elif name in self.current_credentials:
                self.initial.setdefault(name, self.current_credentials[name])
        if provider == "webchat":
            self.fields["avatar"] = forms.FileField(
                label=_("Avatar"),
                required=False,
                help_text=_(
                    "Shown in the chat's header: a PNG, JPEG or WebP image of at most 512 KB."
                ),
                widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
            )

    def clean_avatar(self) -> UploadedFile | None:
        """A web chat's new avatar, refused here (under its field) unless it is an image the
        widget may show: nothing is stored for a bad file."""
        upload = self.cleaned_data.get("avatar")
        if upload:
            try:
                webchat_avatar_check(upload)
            except FieldValidationError as exc:
                raise forms.ValidationError(exc.message) from exc
        return upload or None

    def credentials(self) -> dict[str, Any]:
        """The credentials to send to the services: the fields filled in (on a new connection),
        or the current credentials with the changes over them (an emptied secret keeps its
        value, an emptied plain field goes back to its default); empty when editing changed
        none."""
        filled = {
            name: self.cleaned_data[name]
            for name in self.credential_names
            if self.cleaned_data.get(name) not in (None, "", [])
        }
        if not self.editing:
            return filled
        if not any(name in self.changed_data for name in self.credential_names):
            return {}
        merged = {**self.current_credentials, **filled}
        for name in self.credential_names:
            if name not in filled and name not in self.secret_names:
                merged.pop(name, None)
        return merged
