"""The connection form of the admin pages: common fields plus the credential fields of the
chosen provider (shape only; the provider checks the credentials)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import Queue

SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
APP_SECRET = ("app_secret", _("App secret"), True)
VERIFY_TOKEN = (
    "verify_token",
    _("Verify token (you choose it; type the same in Meta's webhook settings)"),
    True,
)
# provider → (credential key, label, secret)
PROVIDER_FIELDS: dict[str, list[tuple[str, Any, bool]]] = {
    "webchat": [],
    "telegram": [("bot_token", _("Bot token (from @BotFather)"), True)],
    "whatsapp_cloud": [
        ("phone_number_id", _("Phone number ID"), False),
        ("access_token", _("Access token"), True),
        APP_SECRET,
        VERIFY_TOKEN,
    ],
    "messenger": [
        ("page_id", _("Page ID"), False),
        ("page_access_token", _("Page access token"), True),
        APP_SECRET,
        VERIFY_TOKEN,
    ],
    "instagram": [
        ("instagram_account_id", _("Instagram account ID"), False),
        ("page_id", _("Page ID"), False),
        ("page_access_token", _("Page access token"), True),
        APP_SECRET,
        VERIFY_TOKEN,
    ],
}


class ConnectionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    default_queue = forms.TypedChoiceField(
        label=_("New tickets go to"), coerce=int, required=False, empty_value=None
    )
    greeting_message = forms.CharField(
        label=_("Greeting message"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    farewell_message = forms.CharField(
        label=_("Farewell message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("{protocol} and {name} are filled in."),
    )

    def __init__(self, *args: Any, provider: str, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        queues = Queue.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
        self.fields["default_queue"].choices = [("", _("No queue")), *queues]  # type: ignore[attr-defined]
        for key, label, secret in PROVIDER_FIELDS.get(provider, []):
            self.fields[key] = forms.CharField(
                label=label,
                max_length=500,
                required=not editing,
                widget=SECRET if secret else forms.TextInput,
                help_text=_("Leave empty to keep the current value.") if editing else "",
            )
        if provider == "webchat":
            self.fields["allowed_origins"] = forms.CharField(
                label=_("Sites allowed to embed the chat"),
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("One origin per line, such as https://www.example.com"),
            )
            self.fields["title"] = forms.CharField(label=_("Title"), max_length=80)
            self.fields["welcome"] = forms.CharField(
                label=_("Welcome text"), max_length=500, required=False
            )

    def credentials(self) -> dict[str, Any]:
        """The credential fields that were filled in."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            key: data[key]
            for key, _label, _secret in PROVIDER_FIELDS[self.provider]
            if data.get(key)
        }
        if self.provider == "webchat":
            values["allowed_origins"] = [
                line.strip() for line in data["allowed_origins"].splitlines() if line.strip()
            ]
            values["title"] = data["title"]
            values["welcome"] = data["welcome"]
        return values
