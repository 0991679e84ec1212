"""Forms of the contact side panel. They check the shape of the input; the contacts services
decide (unknown tags, a phone another contact has, a value that does not fit its attribute)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, ContactAttributeDefinition


class PanelForm(forms.Form):
    """Ids prefixed ``cp-``: the panel shares its page with the ticket panel's forms."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "cp-%s")
        super().__init__(*args, **kwargs)


class ContactDetailsForm(PanelForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=150,
        widget=forms.TextInput(attrs={"data-testid": "contact-edit-name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "off", "data-testid": "contact-edit-phone"}
        ),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        widget=forms.EmailInput(attrs={"data-testid": "contact-edit-email"}),
    )

    @classmethod
    def for_contact(cls, contact: Contact) -> ContactDetailsForm:
        return cls(initial={"name": contact.name, "phone": contact.phone, "email": contact.email})


class ContactNotesForm(PanelForm):
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "data-testid": "contact-notes-input"}),
    )


class IdListField(forms.Field):
    """A list of integer ids from repeated inputs (checkboxes); existence is the service's
    business."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Choose from the list.")}

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        try:
            return sorted({int(item) for item in value})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class ContactTagsForm(PanelForm):
    tag_ids = IdListField(label=_("Tags"), required=False)


class ContactOwnersForm(PanelForm):
    owner_ids = IdListField(label=_("Owners"), required=False)


class ContactMergeForm(PanelForm):
    merged = forms.UUIDField(label=_("Contact to merge into this one"))


_BOOLEAN_CHOICES = [("", _("Not set")), ("true", _("Yes")), ("false", _("No"))]


def attribute_field_name(key: str) -> str:
    """The form field of an attribute is named as the service reports its errors."""
    return f"custom_attributes.{key}"


class ContactAttributesForm(PanelForm):
    """One input per attribute definition, typed by its kind; an empty input clears a value."""

    def __init__(
        self,
        *args: Any,
        definitions: Iterable[ContactAttributeDefinition],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = list(definitions)
        for definition in self.definitions:
            field = _attribute_field(definition)
            field.widget.attrs["data-testid"] = f"contact-attribute-{definition.key}"
            self.fields[attribute_field_name(definition.key)] = field

    @classmethod
    def for_contact(
        cls, contact: Contact, definitions: Iterable[ContactAttributeDefinition]
    ) -> ContactAttributesForm:
        values = contact.custom_attributes or {}
        initial: dict[str, Any] = {}
        for definition in definitions:
            value = values.get(definition.key)
            if isinstance(value, bool):
                value = "true" if value else "false"
            initial[attribute_field_name(definition.key)] = value
        return cls(initial=initial, definitions=definitions)

    def custom_attributes(self) -> dict[str, Any]:
        """The cleaned values in the service's terms (dates as ISO text, booleans, numbers)."""
        values: dict[str, Any] = {}
        for definition in self.definitions:
            value = self.cleaned_data.get(attribute_field_name(definition.key))
            kind = ContactAttributeDefinition.Type
            if value in (None, ""):
                value = None
            elif definition.type == kind.BOOLEAN:
                value = value == "true"
            elif definition.type == kind.DATE:
                value = value.isoformat()
            elif definition.type == kind.NUMBER and float(value).is_integer():
                value = int(value)
            values[definition.key] = value
        return values


def _attribute_field(definition: ContactAttributeDefinition) -> forms.Field:
    kind = ContactAttributeDefinition.Type
    label = definition.label
    if definition.type == kind.NUMBER:
        return forms.FloatField(label=label, required=False)
    if definition.type == kind.DATE:
        return forms.DateField(
            label=label,
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
    if definition.type == kind.BOOLEAN:
        return forms.ChoiceField(label=label, required=False, choices=_BOOLEAN_CHOICES)
    if definition.type == kind.CHOICE:
        choices = [("", _("Not set")), *[(choice, choice) for choice in definition.choices]]
        return forms.ChoiceField(label=label, required=False, choices=choices)
    return forms.CharField(label=label, required=False, max_length=1000)
