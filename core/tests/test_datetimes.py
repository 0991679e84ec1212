"""``core.datetimes.datetime_out`` writes exactly what DRF's ``DateTimeField`` writes, in every
active time zone, for UTC, offsets with seconds, microseconds, naive values and values that
overflow in the zone (the field's own error)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.datetimes import datetime_out, output_zone

ZONES = ["UTC", "America/Sao_Paulo", "Asia/Kolkata", "Pacific/Chatham", "Europe/Lisbon"]
VALUES = [
    datetime(2026, 12, 8, 1, 2, 3, 456789, tzinfo=UTC),
    datetime(2026, 12, 8, 1, 2, 3, tzinfo=UTC),  # no microseconds
    datetime(2018, 11, 4, 2, 30, tzinfo=UTC),  # Sao Paulo's last daylight-saving change
    datetime(1890, 1, 1, 12, 0, tzinfo=UTC),  # local mean times: offsets with seconds
    datetime(2026, 3, 29, 1, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Lisbon")),
    datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=-7))),
    datetime(2026, 6, 1, 12, 0),  # noqa: DTZ001  (naive: left to the field)
]


def _field_out(value):
    return serializers.DateTimeField().to_representation(value)


@pytest.mark.parametrize("zone_name", ZONES)
def test_every_value_is_written_as_the_field_writes_it(zone_name):
    with django_timezone.override(zoneinfo.ZoneInfo(zone_name)):
        zone = output_zone()
        assert zone is not None
        for value in VALUES:
            assert datetime_out(value, zone) == _field_out(value), value
    assert datetime_out(None, zone) is None


def test_utc_ends_in_z_and_other_zones_keep_their_offset():
    value = datetime(2026, 12, 8, 1, 2, 3, tzinfo=UTC)
    with django_timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert datetime_out(value, output_zone()) == "2026-12-08T01:02:03Z"
    with django_timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):
        assert datetime_out(value, output_zone()) == "2026-12-08T06:32:03+05:30"


def test_a_value_out_of_range_in_the_zone_fails_as_the_field_does():
    latest = datetime.max.replace(tzinfo=UTC)
    with django_timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):
        zone = output_zone()
        with pytest.raises(ValidationError) as field_error:
            _field_out(latest)
        with pytest.raises(ValidationError) as ours:
            datetime_out(latest, zone)
    assert ours.value.detail == field_error.value.detail


def test_without_time_zones_every_value_is_left_to_the_field(settings):
    settings.USE_TZ = False
    assert output_zone() is None
    value = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert datetime_out(value, output_zone()) == _field_out(value) == "2026-06-01T12:00:00"
