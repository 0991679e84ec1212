"""Text PostgreSQL can store: the one rule for NUL and lone surrogates on every input surface.

PostgreSQL refuses ``U+0000`` in text and JSONB, and a lone surrogate (``\\ud800``, legal in a
JSON escape) cannot be encoded as UTF-8 at all; either used to end in a 500. Two answers,
chosen by who can fix the input (docs/inbound.md, "Text we clean"):

- what customers send (provider webhooks, the web chat widget) is cleaned with ``text_clean``:
  NUL removed, each lone surrogate replaced by U+FFFD, so the customer's message is never lost;
- the authenticated API refuses such strings with 400 (``text_is_storable``), as DRF's own
  string fields already refuse NUL: an integrator's program can fix its input, and an
  identifier (a field name, a custom attribute key) silently changed would be worse.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from typing import Any

REPLACEMENT = "\ufffd"
TRUNCATION_MARKER = " […]"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SCALARS = (int, float)  # bool is an int


def text_is_storable(value: str) -> bool:
    """Whether PostgreSQL accepts ``value`` as text (no NUL, no lone surrogate)."""
    return _UNSTORABLE.search(value) is None


def text_clean(value: str) -> str:
    """``value`` without NUL, lone surrogates replaced by U+FFFD."""
    if text_is_storable(value):
        return value
    return _SURROGATE.sub(REPLACEMENT, value.replace("\x00", ""))


def data_clean(value: Any) -> Any:
    """``value`` (decoded JSON, or a dataclass instance, as ``dataclasses.asdict`` would give
    it) with every string, keys included, passed through ``text_clean``; a new structure, with
    no part shared with ``value`` but its immutable leaves."""
    if isinstance(value, str):
        return value if _UNSTORABLE.search(value) is None else text_clean(value)
    if isinstance(value, dict):
        return {data_clean(key): data_clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [data_clean(item) for item in value]
    if value is None or isinstance(value, _SCALARS):
        return value
    if is_dataclass(value) and not isinstance(value, type):
        # One walk instead of asdict's deep copy walked again.
        return {f.name: data_clean(getattr(value, f.name)) for f in fields(value)}
    return value


def unstorable_path(value: Any) -> str | None:
    """The dotted path (``custom_attributes.plan``, ``choices.1``) of the first string of a
    decoded document, key or value, that ``text_is_storable`` refuses; None when all are
    storable. Iterative: the document may be deep. Segments are shown cleaned."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if not text_is_storable(node):
                return path or "non_field_errors"
        elif isinstance(node, dict):
            for key, item in node.items():
                child = f"{path}.{text_clean(str(key))}" if path else text_clean(str(key))
                if isinstance(key, str) and not text_is_storable(key):
                    return child
                stack.append((item, child))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                stack.append((item, f"{path}.{index}" if path else str(index)))
    return None


def text_truncate(value: str, max_chars: int) -> str:
    """``value`` cut to ``max_chars`` characters followed by ``TRUNCATION_MARKER`` when it is
    longer; unchanged otherwise."""
    if len(value) <= max_chars:
        return value
    return value[:max_chars] + TRUNCATION_MARKER
