"""The message template form of the admin pages (WhatsApp Cloud): what WhatsApp reviews.
The service checks the definition again and WhatsApp has the last word."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from channels_integrations.models import MessageTemplate
from connections.models import ChannelConnection
from dashboard.manage.connection_forms import LinesField


class TemplateSubmitForm(forms.Form):
    connection = forms.ModelChoiceField(
        label=_("Connection"), queryset=ChannelConnection.objects.none(), empty_label=None
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=512,
        help_text=_("Lowercase letters, digits and _ only, e.g. order_ready."),
    )
    language = forms.CharField(
        label=_("Language"), max_length=16, initial="pt_BR", help_text=_("e.g. pt_BR, en_US, es")
    )
    category = forms.ChoiceField(label=_("Category"), choices=MessageTemplate.Category.choices)
    header_text = forms.CharField(
        label=_("Header (optional)"),
        max_length=60,
        required=False,
        help_text=_("At most 60 characters and one parameter, {{1}}."),
    )
    header_example = forms.CharField(
        label=_("Example of the header's parameter"), max_length=1024, required=False
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=1024,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Parameters as {{1}}, {{2}}... in order."),
    )
    body_examples = LinesField(
        label=_("Examples of the parameters"),
        required=False,
        help_text=_("One per line, in order: WhatsApp's reviewers read the text with them."),
    )
    footer = forms.CharField(label=_("Footer (optional)"), max_length=60, required=False)
    quick_replies = LinesField(
        label=_("Quick reply buttons (optional)"),
        required=False,
        help_text=_("One label per line, up to three."),
    )
    url_button_text = forms.CharField(
        label=_("Link button label (optional)"), max_length=25, required=False
    )
    url_button_url = forms.CharField(
        label=_("Link button address"),
        max_length=2000,
        required=False,
        help_text=_("https://... ; may end with the parameter {{1}}."),
    )
    url_button_example = forms.CharField(
        label=_("Example of the full address"), max_length=2000, required=False
    )

    def __init__(self, *args: Any, connections: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections  # type: ignore[attr-defined]

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        url_button = None
        if data["url_button_text"] or data["url_button_url"]:
            url_button = {
                "text": data["url_button_text"],
                "url": data["url_button_url"],
                "example": data["url_button_example"],
            }
        return {
            "connection": data["connection"],
            "name": data["name"].strip(),
            "language": data["language"].strip(),
            "category": data["category"],
            "body": data["body"],
            "body_examples": data["body_examples"],
            "header_text": data["header_text"],
            "header_example": data["header_example"],
            "footer": data["footer"],
            "quick_replies": data["quick_replies"],
            "url_button": url_button,
        }
