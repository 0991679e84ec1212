"""Request body parsers of the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from core.text import unstorable_path


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus a 400 for JSON nested too deeply for Python's decoder and for
    strings PostgreSQL cannot store.

    ``json.loads`` raises ``RecursionError`` (not ``ValueError``) on a document nested some
    thousands of levels deep; DRF's parser only turns ``ValueError`` into a ``ParseError``, so
    such a body, small enough to pass the size limit, ended in a 500.

    A NUL or a lone surrogate (legal JSON escapes) in any key or value is refused with 400
    ``validation_error`` naming the field: the API's side of the rule in ``core/text.py``
    (an integrator can fix its input; silently changing an identifier would be worse).
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from exc
        path = unstorable_path(data)
        if path is not None:
            raise ValidationError(
                {path: [_("Null characters and unpaired surrogates are not allowed.")]}
            )
        return data
