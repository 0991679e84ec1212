"""Input and output shapes of the business hours API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from automation.services.business_hours import (
    MAX_HOLIDAYS,
    MAX_INTERVALS_PER_DAY,
    MESSAGE_MAX_LENGTH,
)

MAX_INTERVALS = 7 * MAX_INTERVALS_PER_DAY

WEEKDAY_HELP = "0 = Monday ... 6 = Sunday"


class IntervalSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text=WEEKDAY_HELP)
    opens_at = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])
    closes_at = serializers.TimeField(
        format="%H:%M", input_formats=["%H:%M"], help_text='"00:00" closes at midnight'
    )


class HolidaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class BusinessHoursInputSerializer(serializers.Serializer):
    is_enabled = serializers.BooleanField()
    out_of_hours_message = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        help_text=(
            "sent once per closed period; {{contact.first_name}}, {{contact.name}}, "
            "{{protocol}} and {{greeting}} are replaced, an unknown variable is refused"
        ),
    )
    intervals = IntervalSerializer(many=True)
    holidays = HolidaySerializer(many=True, required=False, default=list)
    bot_stops_out_of_hours = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: while closed the chatbot does not answer; it resumes when open",
    )

    def validate_intervals(self, value: list[Any]) -> list[Any]:
        if len(value) > MAX_INTERVALS:
            raise serializers.ValidationError(f"At most {MAX_INTERVALS} intervals.")
        return value

    def validate_holidays(self, value: list[Any]) -> list[Any]:
        if len(value) > MAX_HOLIDAYS:
            raise serializers.ValidationError(f"At most {MAX_HOLIDAYS} holidays.")
        return value


class BusinessHoursOutputSerializer(serializers.Serializer):
    queue_id = serializers.IntegerField(allow_null=True, help_text="null: the tenant's schedule")
    is_enabled = serializers.BooleanField()
    out_of_hours_message = serializers.CharField()
    bot_stops_out_of_hours = serializers.BooleanField()
    time_zone = serializers.CharField(help_text="the tenant's; every time is read in it")
    intervals = IntervalSerializer(many=True)
    holidays = HolidaySerializer(many=True)
    open_now = serializers.BooleanField()
