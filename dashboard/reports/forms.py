"""The report's period picker and filters (a GET form)."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.exceptions import ApplicationError
from reports.selectors import FilterChoices, Period, Preset, ReportFilters, period_resolve


def _optional(choices: list[tuple[Any, str]], empty: Any) -> list[tuple[Any, str]]:
    return [("", empty), *[(str(value), label) for value, label in choices]]


class ReportForm(forms.Form):
    """Period (a preset, or custom dates) and one value per filter; ``period`` and ``filters``
    are set once the form is valid."""

    period = forms.ChoiceField(label=_("Period"), choices=Preset.choices)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    queue = forms.TypedChoiceField(label=_("Queue"), coerce=int, required=False)
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    connection = forms.TypedChoiceField(label=_("Connection"), coerce=int, required=False)
    tag = forms.TypedChoiceField(label=_("Tag"), coerce=int, required=False)
    time = forms.ChoiceField(
        label=_("Time counted"),
        choices=[
            ("calendar", _("Calendar time")),
            ("business", pgettext_lazy("time counted", "Business hours")),
        ],
        required=False,
    )

    def __init__(
        self,
        data: Any,
        *,
        choices: FilterChoices,
        zone: ZoneInfo,
        today: date,
        business_hours: bool = False,
    ) -> None:
        super().__init__(data)
        self.zone, self.today = zone, today
        fields = self.fields
        fields["queue"].choices = _optional(choices.queues, _("All queues"))  # type: ignore[attr-defined]
        fields["channel"].choices = _optional(choices.providers, _("All channels"))  # type: ignore[attr-defined]
        fields["connection"].choices = _optional(  # type: ignore[attr-defined]
            choices.connections, _("All connections")
        )
        fields["tag"].choices = _optional(choices.tags, _("All tags"))  # type: ignore[attr-defined]
        if choices.agents:
            fields["agent"].choices = _optional(choices.agents, _("All agents"))  # type: ignore[attr-defined]
        else:  # an agent's report is theirs alone
            del fields["agent"]
        if not business_hours:  # no enabled schedule: there is only calendar time
            del fields["time"]
        self.resolved: Period | None = None
        self.filters = ReportFilters()
        self.business = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.business = data.get("time") == "business"
        if "period" not in data:
            return data
        try:
            self.resolved = period_resolve(
                preset=data["period"],
                zone=self.zone,
                today=self.today,
                first=data.get("start"),
                last=data.get("end"),
            )
        except ApplicationError as error:
            self.add_error("end" if data.get("start") else "start", error.message)
            return data

        def one(name: str) -> tuple[Any, ...]:
            value = data.get(name)
            return () if value in (None, "") else (value,)

        self.filters = ReportFilters(
            queue_ids=one("queue"),
            agent_ids=one("agent"),
            providers=one("channel"),
            connection_ids=one("connection"),
            tag_ids=one("tag"),
        )
        return data


class ContactReportForm(forms.Form):
    """The contacts report's filters: creation dates (optional), a tag, a state, a search."""

    start = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tag = forms.TypedChoiceField(label=_("Tag"), coerce=int, required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, data: Any, *, tags: list[tuple[int, str]], states: list[str]) -> None:
        super().__init__(data)
        self.fields["tag"].choices = _optional(tags, _("All tags"))  # type: ignore[attr-defined]
        self.fields["state"].choices = _optional(  # type: ignore[attr-defined]
            [(state, state) for state in states], _("All states")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        return data
