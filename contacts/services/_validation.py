"""Validation shared by the contacts services: model checks reported per field, and tag ids
that must exist."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contacts.models import Contact, ContactAttributeDefinition, Tag
from core.exceptions import FieldValidationError


def full_clean(instance: Contact | Tag | ContactAttributeDefinition, **kwargs: Any) -> None:
    """Model validation as a FieldValidationError (400 with the failing fields)."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        raise FieldValidationError(
            {
                field: [str(message) for message in messages]
                for field, messages in exc.message_dict.items()
            }
        ) from exc


def tags_existing(tag_ids: Iterable[int]) -> list[Tag]:
    """The tags with these ids; a FieldValidationError on ``tag_ids`` names the missing ones."""
    wanted = set(tag_ids)
    tags = list(Tag.objects.filter(pk__in=wanted))
    missing = wanted - {tag.pk for tag in tags}
    if missing:
        raise FieldValidationError(
            {
                "tag_ids": [
                    _("Unknown tags: %(ids)s") % {"ids": ", ".join(map(str, sorted(missing)))}
                ]
            }
        )
    return tags
