"""Request body parsers of the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus a 400 for JSON nested too deeply for Python's decoder.

    ``json.loads`` raises ``RecursionError`` (not ``ValueError``) on a document nested some
    thousands of levels deep; DRF's parser only turns ``ValueError`` into a ``ParseError``, so
    such a body, small enough to pass the size limit, ended in a 500.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from exc
