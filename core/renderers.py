"""The API's JSON renderer: orjson, with the bytes DRF's ``JSONRenderer`` wrote.

DRF renders through ``json.dumps`` and its ``JSONEncoder`` (pure Python for every non-native
value); orjson encodes the same data several times faster. What the API answered before is kept:

- compact separators, UTF-8 text unescaped, U+2028/U+2029 escaped (as DRF does);
- every value orjson does not encode natively (datetimes, dates, times and timedeltas, Decimal,
  lazy translation strings, querysets, generators...) goes through DRF's encoder, so a datetime
  still ends in ``Z`` and a Decimal is still the number DRF wrote;
- ``indent`` asked in the Accept header, and data orjson refuses (an integer beyond 64 bits), are
  rendered by DRF's renderer itself.

One difference, in notation only: a float below 1e-4 is written positionally (``0.000025``
where ``json`` wrote ``2.5e-05``), the same number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_drf_default = JSONEncoder().default


def _default(value: Any) -> Any:
    encoded = _drf_default(value)
    if isinstance(encoded, float):
        # DRF turns a Decimal into a float that json.dumps writes: keep its exact text.
        return orjson.Fragment(json.dumps(encoded, allow_nan=False))
    return encoded


class FastJSONRenderer(JSONRenderer):
    """``JSONRenderer``'s output, encoded by orjson."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        pretty = "indent" in (accepted_media_type or "") or "indent" in (renderer_context or {})
        if pretty or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                b"\xe2\x80\xa9", b"\\u2029"
            )
        return rendered
