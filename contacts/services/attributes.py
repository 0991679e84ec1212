"""Custom contact attributes: their definitions, and values checked against them."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Func, JSONField, Value
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _

from audit.services import audit_object, audit_record, changes_diff, snapshot
from contacts.errors import AttributeDefinitionExists
from contacts.models import Contact, ContactAttributeDefinition
from contacts.services._validation import full_clean
from core.exceptions import FieldValidationError

_TEXT_ATTRIBUTE_MAX = 1000
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _attribute_value(definition: ContactAttributeDefinition, value: Any) -> Any:
    """``value`` checked against the definition's type, in its stored form; ValueError if not."""
    kind = ContactAttributeDefinition.Type
    if definition.type == kind.TEXT:
        if not isinstance(value, str):
            raise ValueError(_("Enter a text."))
        if len(value) > _TEXT_ATTRIBUTE_MAX:
            raise ValueError(_("Use at most 1000 characters."))
        return value.strip()
    if definition.type == kind.NUMBER:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(_("Enter a number."))
        return value
    if definition.type == kind.DATE:
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            raise ValueError(_("Enter a date as YYYY-MM-DD."))
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from exc
    if definition.type == kind.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(_("Enter true or false."))
        return value
    if not isinstance(value, str) or value not in definition.choices:
        raise ValueError(_("Choose one of the allowed values."))
    return value


_TRUE_WORDS = {"true", "yes", "sim", "s", "y", "1", "x"}
_FALSE_WORDS = {"false", "no", "nao", "não", "n", "0"}
_BR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def contact_attribute_value_from_text(definition: ContactAttributeDefinition, text: str) -> Any:
    """A value typed as text (a CSV cell) read into the attribute's stored form.

    Numbers take "." or "," as the decimal mark, dates YYYY-MM-DD or DD/MM/YYYY, yes/no fields
    true/false, yes/no or sim/não; ValueError (with a message for people) when it does not fit.
    """
    kind = ContactAttributeDefinition.Type
    text = text.strip()
    value: Any = text
    if definition.type == kind.NUMBER:
        plain = text.replace(",", ".") if "." not in text else text
        if not _NUMBER.match(plain):
            raise ValueError(_("Enter a number."))
        value = float(plain) if "." in plain else int(plain)
    elif definition.type == kind.DATE and (match := _BR_DATE.match(text)):
        day, month, year = match.groups()
        value = f"{year}-{int(month):02d}-{int(day):02d}"
    elif definition.type == kind.BOOLEAN:
        word = text.casefold()
        if word not in _TRUE_WORDS | _FALSE_WORDS:
            raise ValueError(_("Enter yes or no."))
        value = word in _TRUE_WORDS
    return _attribute_value(definition, value)


def contact_attribute_value_as_text(definition: ContactAttributeDefinition, value: Any) -> str:
    """A stored value written for a person (a CSV cell); reads back through
    ``contact_attribute_value_from_text``. Yes/no fields and decimal marks follow the active
    language."""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, float):
        return repr(value).replace(".", str(get_format("DECIMAL_SEPARATOR")))
    return str(value)


def contact_attributes_clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Custom attribute values checked against the tenant's definitions.

    Unknown keys are refused; ``None`` or "" removes a value. Errors are reported per key as
    ``custom_attributes.<key>``.
    """
    definitions = {
        definition.key: definition
        for definition in ContactAttributeDefinition.objects.filter(key__in=list(values))
    }
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom_attributes.{key}"] = [_("Unknown attribute.")]
            continue
        if value is None or value == "":
            continue
        try:
            cleaned[key] = _attribute_value(definition, value)
        except ValueError as exc:
            errors[f"custom_attributes.{key}"] = [str(exc)]
    if errors:
        raise FieldValidationError(errors)
    return cleaned


def _choices_clean(kind: str, choices: Sequence[Any]) -> list[str]:
    if kind != ContactAttributeDefinition.Type.CHOICE:
        if choices:
            raise FieldValidationError({"choices": [_("Only choice attributes have choices.")]})
        return []
    cleaned = [str(choice).strip() for choice in choices if str(choice).strip()]
    if not cleaned or not all(isinstance(choice, str) for choice in choices):
        raise FieldValidationError({"choices": [_("List at least one choice (texts).")]})
    if len(set(cleaned)) != len(cleaned):
        raise FieldValidationError({"choices": [_("Choices must not repeat.")]})
    return cleaned


# What the audit log keeps of an attribute definition.
_AUDITED = ("key", "label", "type", "choices")


@transaction.atomic
def contact_attribute_definition_create(
    *, key: str, label: str, type: str, choices: Sequence[Any] = ()
) -> ContactAttributeDefinition:
    """Define a custom contact attribute; the key is what API clients send values under."""
    definition = ContactAttributeDefinition(
        key=key.strip(), label=label.strip(), type=type, choices=_choices_clean(type, choices)
    )
    full_clean(definition, validate_unique=False)
    if ContactAttributeDefinition.objects.filter(key=definition.key).exists():
        raise AttributeDefinitionExists(
            extra={"fields": {"key": [str(AttributeDefinitionExists.default_message)]}}
        )
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError as exc:
        raise AttributeDefinitionExists() from exc
    audit_record(
        "contact_attribute.created",
        obj=definition,
        changes=changes_diff({}, snapshot(definition, _AUDITED)),
    )
    return definition


@transaction.atomic
def contact_attribute_definition_update(
    *,
    definition: ContactAttributeDefinition,
    label: str | None = None,
    choices: Sequence[Any] | None = None,
) -> ContactAttributeDefinition:
    """Rename an attribute or change its choices; key and type are fixed once values exist."""
    before = snapshot(definition, _AUDITED)
    if label is not None:
        definition.label = label.strip()
    if choices is not None:
        definition.choices = _choices_clean(definition.type, choices)
    full_clean(definition, validate_unique=False)
    definition.save()
    diff = changes_diff(before, snapshot(definition, _AUDITED))
    if diff:
        audit_record("contact_attribute.updated", obj=definition, changes=diff)
    return definition


@transaction.atomic
def contact_attribute_definition_delete(*, definition: ContactAttributeDefinition) -> None:
    """Delete an attribute definition and its value on every contact."""
    Contact.objects.filter(custom_attributes__has_key=definition.key).update(
        custom_attributes=Func(
            F("custom_attributes"),
            Value(definition.key, output_field=CharField()),
            arg_joiner=" - ",
            template="(%(expressions)s)",
            output_field=JSONField(),
        ),
        updated_at=timezone.now(),
    )
    target = audit_object(definition)
    definition.delete()
    audit_record("contact_attribute.deleted", obj=target)
