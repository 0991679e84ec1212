"""Forms of the contacts pages and the tags admin page (shape only; the services decide)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.selectors import users_active
from contacts.models import ContactImport, Tag


def _tag_choices() -> list[tuple[int, str]]:
    return list(Tag.objects.filter(is_active=True).order_by("name").values_list("pk", "name"))


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        help_text=_("With area code, e.g. +55 11 98765-4321"),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.MultipleChoiceField(
        label=_("Tags"), required=False, widget=forms.CheckboxSelectMultiple
    )
    owners = forms.MultipleChoiceField(
        label=_("Wallet (owners)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The agents this contact belongs to."),
    )
    is_blocked = forms.BooleanField(label=_("Blocked"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tags"]).choices = _tag_choices()
        cast(forms.ChoiceField, self.fields["owners"]).choices = [
            (user.pk, str(user)) for user in users_active()
        ]


class ContactImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            'UTF-8, separated by "," or ";", with a header row in Portuguese or English: name '
            "and phone are required; e-mail, tags, owners (their e-mails) and custom attributes "
            "(by name) are optional. Tags and owners are separated by commas in their cell. You "
            "see the first rows before anything is imported."
        ),
    )
    tags = forms.MultipleChoiceField(
        label=_("Tag the imported contacts"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tags"]).choices = _tag_choices()


class ContactImportConfirmForm(forms.Form):
    duplicates = forms.ChoiceField(
        label=_("Contacts that already exist"),
        choices=ContactImport.Duplicates.choices,
        initial=ContactImport.Duplicates.SKIP,
        widget=forms.RadioSelect,
    )

    def update_rows_raw(self) -> list[str]:
        """The ticked row numbers as posted."""
        return list(cast(QueryDict, self.data).getlist("update_rows")) if self.is_bound else []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The file rows (numbered as in the file) whose contact is updated under "ask"; the
        # service only acts on rows that are conflicts.
        values = self.update_rows_raw()
        if len(values) > 10_000 or not all(v.isdigit() and len(v) < 9 for v in values):
            raise forms.ValidationError(_("Tick the contacts to update."))
        cleaned["update_rows"] = [int(value) for value in values]
        return cleaned


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    color = forms.CharField(
        label=_("Colour"),
        max_length=7,
        initial="#5b6478",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
