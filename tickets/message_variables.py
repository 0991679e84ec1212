"""The variables of the texts we send on a ticket: quick replies, a connection's greeting and
farewell, a queue's greeting, the out-of-hours notice and the bot's messages.

One syntax everywhere: ``{{contact.first_name}}``. Automatic messages stored before it used
``{name}``, ``{protocol}`` and ``{greeting}``; those still render (and may be saved again), but
the editors offer only the double-brace form. A ``{{...}}`` naming no variable of its context is
refused at save with a field error instead of reaching a customer raw; when rendering, an
unknown one stays visible rather than vanishing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.exceptions import FieldValidationError

# Every variable with what the editors' picker says of it, in the picker's order.
VARIABLES: dict[str, Promise] = {
    "contact.first_name": _("Contact's first name"),
    "contact.name": _("Contact's full name"),
    "protocol": _("Ticket protocol"),
    "greeting": _("Good morning, good afternoon or good evening"),
    "agent.name": _("Agent's name"),
}
# What an agent sends (quick replies) knows its agent; what the system sends does not.
AGENT_TEXT = tuple(VARIABLES)
SYSTEM_TEXT = ("contact.first_name", "contact.name", "protocol", "greeting")

# The older spellings, still rendered: single braces in automatic messages, ``{{name}}`` in bots.
_ALIASES = {"name": "contact.name"}
_DOUBLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_SINGLE = re.compile(r"(?<!\{)\{(name|protocol|greeting)\}(?!\})")

Value = str | Callable[[], str]


def _typed(name: str) -> str:
    return "{{" + name + "}}"


def variables_unknown(text: str, *, allowed: Iterable[str]) -> list[str]:
    """The ``{{...}}`` of ``text`` that name no variable in ``allowed``, in order, once each."""
    known = set(allowed)
    unknown: list[str] = []
    for match in _DOUBLE.finditer(text or ""):
        name = match.group(1)
        if name not in known and match.group(0) not in unknown:
            unknown.append(match.group(0))
    return unknown


def variables_check(fields: Mapping[str, str | None], *, allowed: Iterable[str]) -> None:
    """400 ``validation_error`` naming each field (``{field: text}``; None is skipped) whose text
    uses a variable outside ``allowed``, with the ones it may use."""
    allowed = tuple(allowed)
    errors: dict[str, list[str]] = {}
    for field, text in fields.items():
        unknown = variables_unknown(text or "", allowed=allowed)
        if unknown:
            errors[field] = [
                gettext("Unknown variable %(unknown)s. Use one of: %(known)s.")
                % {
                    "unknown": ", ".join(unknown),
                    "known": ", ".join(_typed(name) for name in allowed),
                }
            ]
    if errors:
        raise FieldValidationError(errors)


def variables_render(text: str, values: Mapping[str, Value]) -> str:
    """``text`` with its variables filled from ``values`` (a value may be a callable, computed
    only when the text uses it); the older spellings too. Unknown ones are left as they are."""

    def value_of(name: str, original: str) -> str:
        name = _ALIASES.get(name, name)
        if name not in values:
            return original
        value = values[name]
        return value() if callable(value) else value

    text = _DOUBLE.sub(lambda m: value_of(m.group(1), m.group(0)), text)
    return _SINGLE.sub(lambda m: value_of(m.group(1), m.group(0)), text)


def variables_picker(allowed: Iterable[str]) -> list[tuple[str, Promise]]:
    """``(variable as typed, what it is)`` for the editors' picker (translated when shown)."""
    return [(_typed(name), VARIABLES[name]) for name in allowed]
