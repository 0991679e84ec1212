"""Forms of the custom attributes admin page: shape only; the contacts services decide (a key
taken, choices on a type without them, a choice list that repeats)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.models import ContactAttributeDefinition


class ChoicesField(forms.CharField):
    """One choice per line (a choice attribute's allowed values)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value


class AttributeDefinitionForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=80)
    key = forms.SlugField(
        label=_("Key"),
        max_length=50,
        help_text=_("Letters, digits, - and _: the name API clients and CSV columns use."),
    )
    type = forms.ChoiceField(label=_("Type"), choices=ContactAttributeDefinition.Type.choices)
    choices = ChoicesField(
        label=_("Choices"),
        required=False,
        help_text=_("For the Choice type only: one value per line."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # Key and type are fixed once contacts may hold values under them.
            del self.fields["key"]
            del self.fields["type"]
