"""The business hours form: one line of intervals per weekday ("08:00-12:00, 13:00-18:00"),
holidays one per line ("2026-12-25 Christmas"). Shape only: the service checks the rules
(order, overlaps) and its errors are put next to the weekday they name."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from automation.models import BusinessHours, BusinessHoursInterval
from automation.services.business_hours import HolidayInput, IntervalInput
from dashboard.variable_picker import variable_picker_attach
from tickets.message_variables import SYSTEM_TEXT

Weekday = BusinessHoursInterval.Weekday
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def day_field(weekday: int) -> str:
    return f"day_{weekday}"


def _time(hours: str, minutes: str) -> time:
    value = int(hours), int(minutes)
    if value == (24, 0):
        return time(0, 0)  # "until 24:00" is midnight
    try:
        return time(*value)
    except ValueError as exc:
        raise forms.ValidationError(_("Write times as HH:MM, from 00:00 to 24:00.")) from exc


def intervals_text(row: BusinessHours | None, weekday: int) -> str:
    if row is None:
        return ""
    parts = [
        f"{i.opens_at:%H:%M}-{'24:00' if i.closes_at == time(0, 0) else f'{i.closes_at:%H:%M}'}"
        for i in row.intervals.all()
        if i.weekday == weekday
    ]
    return ", ".join(parts)


def holidays_text(row: BusinessHours | None) -> str:
    if row is None:
        return ""
    return "\n".join(f"{h.date.isoformat()} {h.name}".strip() for h in row.holidays.all())


class BusinessHoursForm(forms.Form):
    is_enabled = forms.BooleanField(
        label=_("Answer out of hours"),
        required=False,
        help_text=_("When off, the schedule is always open and no message is sent."),
    )
    out_of_hours_message = variable_picker_attach(
        forms.CharField(
            label=_("Out-of-hours message"),
            required=False,
            max_length=4096,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_(
                "Sent once per closed period to a customer who writes to a waiting ticket. "
                "The buttons below insert a variable where the cursor is."
            ),
        ),
        SYSTEM_TEXT,
    )
    bot_stops_out_of_hours = forms.BooleanField(
        label=_("Stop the chatbot out of hours"),
        required=False,
        help_text=_(
            "Off: the chatbot keeps answering while closed. On: while closed the customer "
            "gets only the out-of-hours message, and the chatbot answers again at the first "
            "message after opening."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday, label in Weekday.choices:
            self.fields[day_field(weekday)] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text=_("Open intervals, e.g. 08:00-12:00, 13:00-18:00; empty: closed."),
            )
        self.fields["holidays"] = forms.CharField(
            label=_("Holidays"),
            required=False,
            max_length=20_000,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text=_("Closed all day. One per line: a date (YYYY-MM-DD) and a name."),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        intervals: list[IntervalInput] = []
        for weekday, _label in Weekday.choices:
            name = day_field(weekday)
            text = (data.get(name) or "").strip()
            for part in filter(None, (p.strip() for p in text.split(","))):
                match = _INTERVAL.match(part)
                if match is None:
                    self.add_error(name, _("Write each interval as HH:MM-HH:MM."))
                    break
                try:
                    opens, closes = _time(*match.group(1, 2)), _time(*match.group(3, 4))
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
                    break
                intervals.append(IntervalInput(weekday=weekday, opens_at=opens, closes_at=closes))
        holidays: list[HolidayInput] = []
        for line in filter(None, (ln.strip() for ln in (data.get("holidays") or "").splitlines())):
            day, _space, name = line.partition(" ")
            try:
                holidays.append(HolidayInput(date=date.fromisoformat(day), name=name.strip()))
            except ValueError:
                self.add_error("holidays", _("%(line)s: not a date (YYYY-MM-DD).") % {"line": day})
        data["intervals"], data["holiday_list"] = intervals, holidays
        return data
