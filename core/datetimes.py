"""Datetimes written as the API writes them, the active time zone read once for many values.

DRF's ``DateTimeField.to_representation`` reads the active time zone for every value (a
thread-local look-up) and goes through its field machinery: an inbox page writes 80 datetimes
and a messages page dozens, and that cost more CPU than the page's rows otherwise
(docs/performance.md). ``datetime_out`` writes the same text with a zone the caller read once
(``output_zone``); anything it does not write itself (no zone, a naive value, a value out of
range, settings that ask for another format) goes through DRF's field, so the answer is always
the field's.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

_FIELD = serializers.DateTimeField()


def output_zone() -> tzinfo | None:
    """The zone ``DateTimeField`` converts to now (the active one), or None when the API does not
    write ISO 8601 in a zone (``datetime_out`` then leaves every value to the field)."""
    output_format = api_settings.DATETIME_FORMAT
    if not settings.USE_TZ or not isinstance(output_format, str):
        return None
    if output_format.lower() != ISO_8601:
        return None
    return timezone.get_current_timezone()


def datetime_out(value: Any, zone: tzinfo | None) -> Any:
    """``DateTimeField().to_representation(value)`` (None for None) while ``zone`` is
    ``output_zone()``: the value in that zone, ISO 8601, ``Z`` for UTC."""
    if value is None:
        return None
    if zone is None or type(value) is not datetime or value.utcoffset() is None:
        return _FIELD.to_representation(value)
    try:
        text = value.astimezone(zone).isoformat()
    except OverflowError:
        return _FIELD.to_representation(value)  # the field's own error
    return text[:-6] + "Z" if text.endswith("+00:00") else text
