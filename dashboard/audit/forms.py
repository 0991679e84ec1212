"""The audit log's filters: who, what, on which kind of object, when (in the reader's time
zone: the tenant's on its pages) and a free search."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.actions import ACTION_LABELS, OBJECT_TYPE_LABELS
from audit.models import ActorKind
from audit.selectors import AuditFilters


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who"), required=False, max_length=255)
    actor_kind = forms.ChoiceField(label=_("Kind of actor"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.ChoiceField(label=_("Object"), required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every: list[tuple[str, Any]] = [("", _("All"))]
        cast(forms.ChoiceField, self.fields["actor_kind"]).choices = every + list(ActorKind.choices)
        cast(forms.ChoiceField, self.fields["action"]).choices = every + sorted(
            ((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda c: c[1]
        )
        cast(forms.ChoiceField, self.fields["object_type"]).choices = every + sorted(
            ((code, str(label)) for code, label in OBJECT_TYPE_LABELS.items()),
            key=lambda c: c[1],
        )
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("data-testid", f"audit-filter-{name.replace('_', '-')}")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date comes before the start date."))
        return data

    def filters(self, zone: tzinfo) -> AuditFilters:
        """The filters, with the dates as whole days in ``zone`` (``end`` included)."""
        data = self.cleaned_data

        def midnight(day: date | None) -> datetime | None:
            return None if day is None else datetime.combine(day, time.min, tzinfo=zone)

        end = data.get("end")
        return AuditFilters(
            actor=data.get("actor") or "",
            actor_kind=data.get("actor_kind") or "",
            action=data.get("action") or "",
            object_type=data.get("object_type") or "",
            start=midnight(data.get("start")),
            end=midnight(end + timedelta(days=1)) if end else None,
            search=data.get("q") or "",
        )
