"""Serializers of the reports API: the query (period and filters) and the figures."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from reports.selectors import COUNTS, DURATIONS, MAX_DAYS, Preset

TIME_CHOICES = [("calendar", "Calendar time"), ("business", "Business hours")]


class ReportQueryInputSerializer(serializers.Serializer):
    """The period (a preset ending today in the tenant's time zone, or ``custom`` with both
    dates) and the filters (one value each; empty means all)."""

    period = serializers.ChoiceField(choices=Preset.choices, default=Preset.LAST_7_DAYS)
    start = serializers.DateField(
        required=False, help_text=f"First day (custom period; at most {MAX_DAYS} days)."
    )
    end = serializers.DateField(required=False, help_text="Last day, inclusive (custom period).")
    queue = serializers.IntegerField(required=False, min_value=1)
    agent = serializers.IntegerField(
        required=False, min_value=1, help_text="Admins only: an agent sees their own figures."
    )
    channel = serializers.CharField(required=False, max_length=32, help_text="Provider key.")
    connection = serializers.IntegerField(required=False, min_value=1)
    tag = serializers.IntegerField(
        required=False, min_value=1, help_text="Attendances of contacts that have this tag."
    )
    time = serializers.ChoiceField(
        choices=TIME_CHOICES,
        default="calendar",
        help_text="How the time figures count: `calendar` (every second between the two "
        "moments) or `business` (only the seconds during which the attendance's queue was open: "
        "its own schedule, else the tenant's; equal to calendar time where no schedule is "
        "enabled). The attendances each figure is measured over are the same.",
    )


def _time() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=TIME_CHOICES, help_text="How the time figures count (the `time` parameter)."
    )


class PeriodOutputSerializer(serializers.Serializer):
    first = serializers.DateField()
    last = serializers.DateField()
    time_zone = serializers.CharField()
    previous_first = serializers.DateField()
    previous_last = serializers.DateField()


class DurationOutputSerializer(serializers.Serializer):
    """Seconds: how many attendances the figure is measured over, and their mean, median and
    90th percentile (all 0 when there are none)."""

    count = serializers.IntegerField()
    mean = serializers.FloatField()
    median = serializers.FloatField()
    p90 = serializers.FloatField()


def _duration(name: str) -> DurationOutputSerializer:
    return DurationOutputSerializer(help_text=DURATIONS[name].definition)


def _count(name: str) -> serializers.IntegerField:
    return serializers.IntegerField(help_text=COUNTS[name])


class CardsOutputSerializer(serializers.Serializer):
    attendances = _count("attendances")
    active = _count("active")
    receptive = _count("receptive")
    new_contacts = _count("new_contacts")
    reopened = _count("reopened")
    reopen_rate = serializers.FloatField(help_text=COUNTS["reopen_rate"])
    first_response = _duration("first_response")
    wait = _duration("wait")
    bot = _duration("bot")
    handling = _duration("handling")
    resolution = _duration("resolution")


class SummaryOutputSerializer(serializers.Serializer):
    period = PeriodOutputSerializer()
    time = _time()
    current = CardsOutputSerializer()
    previous = CardsOutputSerializer(help_text="The same figures for the period just before.")


class DayOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    attendances = serializers.IntegerField()


class ShareOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField(source="label")
    count = serializers.IntegerField()
    percent = serializers.FloatField()


class SeriesOutputSerializer(serializers.Serializer):
    period = PeriodOutputSerializer()
    daily = DayOutputSerializer(
        many=True, help_text="Attendances opened per local day, every day of the period."
    )
    week_hours = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="Attendances opened per local weekday (Monday first) and hour: 7 x 24.",
    )
    channels = ShareOutputSerializer(
        many=True, help_text="Attendances opened in the period per channel, with percentage."
    )


class QueueRowOutputSerializer(serializers.Serializer):
    queue_id = serializers.IntegerField(allow_null=True, help_text="Null: no queue.")
    name = serializers.CharField()
    attendances = serializers.IntegerField(
        help_text="Attendances opened in the period in this queue (the queue now, at close "
        "for closed ones)."
    )
    percent = serializers.FloatField()
    closed = serializers.IntegerField(help_text="Attendances of the queue closed in the period.")
    wait = _duration("wait")
    handling = _duration("handling")
    pending_now = serializers.IntegerField()
    open_now = serializers.IntegerField()


class AgentRowOutputSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField(allow_null=True, help_text="Null: nobody's.")
    name = serializers.CharField()
    taken = serializers.IntegerField(
        help_text="Times the agent took an attendance in the period: acceptances, transfers "
        "received, reopenings, conversations started."
    )
    closed = serializers.IntegerField(
        help_text="Attendances closed in the period that the agent held at close."
    )
    handling = _duration("handling")
    pending_now = serializers.IntegerField()
    open_now = serializers.IntegerField()


class QueueTableOutputSerializer(serializers.Serializer):
    period = PeriodOutputSerializer()
    time = _time()
    results = QueueRowOutputSerializer(many=True)


class AgentTableOutputSerializer(serializers.Serializer):
    period = PeriodOutputSerializer()
    time = _time()
    results = AgentRowOutputSerializer(many=True)


def period_data(period: Any) -> dict[str, Any]:
    previous = period.previous()
    return {
        "first": period.first,
        "last": period.last,
        "time_zone": period.zone.key,
        "previous_first": previous.first,
        "previous_last": previous.last,
    }
