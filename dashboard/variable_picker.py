"""The editors' variable picker: a text field that takes message variables gets a row of
buttons (components/_form.html) that insert a variable at the cursor (dashboard.js)."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.message_variables import variables_picker

PICKER_HELP = _("The buttons below insert a variable where the cursor is.")


def variable_picker_attach(field: forms.Field, allowed: Iterable[str]) -> forms.Field:
    """Give ``field`` the picker of the variables in ``allowed``; returns the field."""
    field.variables = variables_picker(allowed)  # type: ignore[attr-defined]
    return field
