"""The API's orjson renderer writes the bytes DRF's JSONRenderer wrote, value type by type."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
import zoneinfo
from collections import OrderedDict
from typing import Any

import pytest
from django.utils.translation import gettext_lazy, override
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.renderers import FastJSONRenderer

SAO_PAULO = zoneinfo.ZoneInfo("America/Sao_Paulo")
_SERIALIZER: serializers.Serializer[Any] = serializers.Serializer()

CASES = {
    "datetime in UTC": datetime.datetime(2026, 12, 7, 8, 30, 1, 123456, tzinfo=datetime.UTC),
    "datetime elsewhere": datetime.datetime(2026, 12, 7, 5, 30, tzinfo=SAO_PAULO),
    "naive datetime": datetime.datetime(2026, 12, 7, 5, 30),  # noqa: DTZ001
    "date": datetime.date(2026, 12, 7),
    "time": datetime.time(23, 59, 1, 5),
    "timedelta": datetime.timedelta(hours=1, seconds=1.5),
    "decimal": decimal.Decimal("1234.50"),
    "small decimal": decimal.Decimal("0.00001"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy string": gettext_lazy("Unknown queue."),
    "error detail": ErrorDetail("Este campo é obrigatório.", code="required"),
    "text": 'Olá "mundo" \\ <b>&</b> \u2028 \u2029 \U0001f600 \x00',
    "numbers": [0, -1, 2**63 - 1, 1.5, 0.1, 1e16, -0.0],
    "integer keys": {1: "a", 2: "b"},
    "nested": OrderedDict([("b", [None, True, False]), ("a", {"x": ()})]),
    "return types": ReturnDict(
        {"results": ReturnList([{"id": 1}], serializer=_SERIALIZER)}, serializer=_SERIALIZER
    ),
    "empty": {"list": [], "dict": {}, "string": ""},
}


@pytest.mark.parametrize("label", list(CASES))
def test_each_value_renders_as_drf_rendered_it(label):
    data = {"value": CASES[label]}

    with override("pt-br"):
        assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_every_case_together_and_at_the_top_level():
    for data in (CASES, list(CASES.values()), "text", 12):
        assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_nothing_renders_as_no_bytes():
    assert FastJSONRenderer().render(None) == b""


def test_an_indent_asked_for_is_honoured_as_before():
    data = {"a": [1, {"b": datetime.date(2026, 1, 2)}]}

    pretty = FastJSONRenderer().render(data, "application/json; indent=4")

    assert pretty == JSONRenderer().render(data, "application/json; indent=4")
    assert b'\n    "a"' in pretty


def test_an_integer_beyond_64_bits_is_rendered_as_before():
    data = {"big": 2**70}

    assert (
        FastJSONRenderer().render(data)
        == JSONRenderer().render(data)
        == b'{"big":1180591620717411303424}'
    )


def test_a_small_float_is_the_same_number_in_another_notation():
    rendered = FastJSONRenderer().render({"f": 2.5e-05})

    assert rendered == b'{"f":0.000025}'
    assert json.loads(rendered) == json.loads(JSONRenderer().render({"f": 2.5e-05}))


def test_values_json_cannot_hold_are_refused_as_before():
    for value in (
        datetime.time(10, 0, tzinfo=datetime.UTC),
        decimal.Decimal("NaN"),
        object(),
    ):
        with pytest.raises((ValueError, TypeError)):
            JSONRenderer().render({"v": value})
        with pytest.raises((ValueError, TypeError)):
            FastJSONRenderer().render({"v": value})


def test_the_api_answers_through_it(alpha, api_alpha):
    response = api_alpha.get("/api/v1/me/")

    assert isinstance(response.accepted_renderer, FastJSONRenderer)
    assert response.json()["code"] == "not_authenticated"
