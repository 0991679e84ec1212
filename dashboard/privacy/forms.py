"""Forms of the data rights pages: an export's options and the retention policy."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.models import RetentionPolicy


class ExportForm(forms.Form):
    include_notes = forms.BooleanField(
        label=_("Include internal notes"),
        required=False,
        help_text=_("Notes are written by your team for your team; leave them out unless asked."),
    )


class RetentionPolicyForm(forms.ModelForm[RetentionPolicy]):
    class Meta:
        model = RetentionPolicy
        fields = ["is_enabled", "months", "action"]
        widgets = {"action": forms.RadioSelect}
        help_texts = {
            "is_enabled": _("Applied every night. Try the dry run first: it changes nothing."),
            "months": _("Tickets closed more than this many months ago (1 to 120)."),
        }
