"""Forms of the campaign pages: shape only; ``campaigns.services`` decides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import DEFAULT_PER_MINUTE, MAX_PER_MINUTE, CampaignMedia
from campaigns.selectors import approved_templates
from channels_integrations.models import MessageTemplate
from connections.models import ChannelConnection
from contacts.models import Tag
from dashboard.variable_picker import variable_picker_attach
from tickets.media import ALLOWED_MIME_TYPES

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
VARIANT_HELP = _(
    "The buttons below insert a variable where the cursor is; a custom attribute is "
    "{{contact.attributes.<key>}}. Each contact gets one of the messages at random."
)


def _variant(label: Any, *, required: bool) -> forms.Field:
    return variable_picker_attach(
        forms.CharField(
            label=label,
            required=required,
            max_length=4096,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=VARIANT_HELP if required else "",
        ),
        ("contact.first_name", "contact.name"),
    )


@dataclass(frozen=True)
class StoredMedia:
    """A campaign's file as its form shows it (and returns it when left as is)."""

    public_id: str
    name: str
    size: int
    kind: str
    url: str

    @classmethod
    def of(cls, media: CampaignMedia) -> StoredMedia:
        url = reverse("manage:campaign-media", kwargs={"public_id": media.public_id})
        return cls(str(media.public_id), media.name, media.size, media.kind, url)

    def __str__(self) -> str:
        return self.name


class CampaignMediaInput(forms.ClearableFileInput):
    """A file input with the stored file's preview (an image's thumbnail, else its name and
    size) and a box to remove it; ``campaign_form.js`` previews a newly chosen file the same
    way before it is uploaded, with a button that takes it back."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        attrs = {**(attrs or {}), "accept": ",".join(ALLOWED_MIME_TYPES), "data-media-input": ""}
        field_id = str(attrs.get("id") or f"id_{name}")
        file_input = forms.FileInput().render(name, None, attrs, renderer)
        current: SafeString | str = ""
        if isinstance(value, StoredMedia):
            thumbnail: SafeString | str = ""
            if value.kind == "image":
                thumbnail = format_html(
                    '<img src="{}" alt="{}" class="media-thumb" data-testid="media-thumb">',
                    value.url,
                    value.name,
                )
            current = format_html(
                '<figure class="media-current" data-testid="media-current">{}<figcaption>'
                '<a href="{}" target="_blank" rel="noopener">{}</a> · {}</figcaption>'
                '<label class="inline-check"><input type="checkbox" name="{}" id="{}"'
                ' data-testid="media-remove"> {}</label></figure>',
                thumbnail,
                value.url,
                value.name,
                filesizeformat(value.size),
                self.clear_checkbox_name(name),
                self.clear_checkbox_id(field_id),
                gettext("Remove this file"),
            )
        return format_html(
            '<div class="media-input">{}{}<div class="media-preview" data-preview-for="{}"'
            ' data-remove-label="{}" data-testid="media-preview" hidden></div></div>',
            current,
            file_input,
            field_id,
            gettext("Remove"),
        )


def _media(label: Any) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        widget=CampaignMediaInput,
        help_text=_(
            "An image, video, audio or document (up to 16 MB); the message above is its "
            "caption. With a WhatsApp template whose header is an image, video or document, "
            "the first file is the header's."
        ),
    )


def _pairs(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError(_("Write one key=value per line."))
        pairs[key.strip()] = value.strip()
    return pairs


def _template_label(template: MessageTemplate) -> str:
    return f"{template.connection.name} · {template.name} ({template.language})"


def pairs_text(values: dict[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in values.items())


class CampaignForm(forms.Form):
    """A draft campaign and, optionally, contacts to add to its audience."""

    name = forms.CharField(label=_("Name"), max_length=120)
    connection = forms.ModelChoiceField(
        label=_("Connection"),
        queryset=ChannelConnection.objects.none(),
        help_text=_("WhatsApp Cloud numbers send an approved template instead of the messages."),
    )
    template = forms.ModelChoiceField(
        label=_("Template (WhatsApp Cloud)"),
        queryset=MessageTemplate.objects.none(),
        required=False,
        help_text=_("An approved template of the chosen WhatsApp Cloud number."),
    )
    template_parameters = forms.CharField(
        label=_("Template parameters"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One key=value per line, for example body.1={{contact.first_name}}; the keys of "
            "each template are listed below. Named ones left out come from the contact."
        ),
    )
    variant_1 = _variant(_("Message"), required=False)
    media_1 = _media(_("File of the message (optional)"))
    variant_2 = _variant(_("Alternative message (optional)"), required=False)
    media_2 = _media(_("File of the alternative (optional)"))
    variant_3 = _variant(_("Another alternative (optional)"), required=False)
    media_3 = _media(_("File of the other alternative (optional)"))
    scheduled_at = forms.DateTimeField(
        label=_("Start at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: when you start it. A time already past starts paced from now."),
    )
    per_minute = forms.IntegerField(
        label=_("Messages per minute"),
        min_value=1,
        max_value=MAX_PER_MINUTE,
        initial=DEFAULT_PER_MINUTE,
        help_text=_("Spaced with a little random variation; replies to customers go first."),
    )
    window_start = forms.TimeField(
        label=_("Send from"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    window_end = forms.TimeField(
        label=_("Send until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Outside these hours the campaign waits (overnight too). Empty: any time."),
    )
    window_days = forms.TypedMultipleChoiceField(
        label=_("Send on"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every day."),
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Add contacts with any of these tags"),
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attribute_filter = forms.CharField(
        label=_("Only contacts whose attribute equals"),
        required=False,
        max_length=500,
        help_text=_("One key=value per line, for example city=Recife (with the tags above)."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    csv_file = forms.FileField(
        label=_("Add contacts from a CSV file"),
        required=False,
        help_text=_("Columns name and phone; a phone matches a contact or creates one."),
    )
    contact_ids = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        connection_field: Any = self.fields["connection"]
        connection_field.queryset = ChannelConnection.objects.filter(is_active=True).order_by(
            "name"
        )
        template_field: Any = self.fields["template"]
        template_field.queryset = approved_templates()
        template_field.label_from_instance = lambda t: (
            f"{t.connection.name} · {t.name} ({t.language})"
        )
        tags_field: Any = self.fields["tags"]
        tags_field.queryset = Tag.objects.filter(is_active=True).order_by("name")

    def clean_attribute_filter(self) -> dict[str, str]:
        return _pairs(self.cleaned_data["attribute_filter"])

    def clean_template_parameters(self) -> dict[str, str]:
        return _pairs(self.cleaned_data["template_parameters"])

    def variants(self) -> list[str]:
        return [self.cleaned_data[f"variant_{i}"] for i in (1, 2, 3)]

    def variant_media(self) -> list[Any]:
        """Per variant: a ``StoredMedia`` kept, a new upload, or None (none, or removed)."""
        return [self.cleaned_data[f"media_{i}"] or None for i in (1, 2, 3)]
