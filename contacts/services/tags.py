"""Tags: the labels agents put on contacts (names unique without regard to case)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from audit.services import audit_object, audit_record, changes_diff, snapshot
from contacts.domain_events import TagChanged
from contacts.errors import TagExists
from contacts.models import Tag
from contacts.services._validation import full_clean
from core.event_bus import publish


def _check_tag_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    others = Tag.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise TagExists(extra={"fields": {"name": [str(TagExists.default_message)]}})


def _save_tag(tag: Tag) -> None:
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError as exc:
        raise TagExists(extra={"fields": {"name": [str(TagExists.default_message)]}}) from exc


_AUDITED = ("name", "color", "is_active")  # what the audit log keeps of a tag


@transaction.atomic
def tag_create(*, name: str, color: str = "#5b6478", is_active: bool = True) -> Tag:
    """Create a tag; names are unique without regard to case."""
    tag = Tag(name=name.strip(), color=color, is_active=is_active)
    full_clean(tag, validate_constraints=False)
    _check_tag_name_free(tag.name)
    _save_tag(tag)
    publish(TagChanged(tag_id=tag.pk))
    audit_record("tag.created", obj=tag, changes=changes_diff({}, snapshot(tag, _AUDITED)))
    return tag


@transaction.atomic
def tag_update(
    *, tag: Tag, name: str | None = None, color: str | None = None, is_active: bool | None = None
) -> Tag:
    """Change the given fields of a tag (``None`` leaves a field as it is)."""
    before = snapshot(tag, _AUDITED)
    if name is not None:
        tag.name = name.strip()
    if color is not None:
        tag.color = color
    if is_active is not None:
        tag.is_active = is_active
    full_clean(tag, validate_constraints=False)
    _check_tag_name_free(tag.name, exclude_pk=tag.pk)
    _save_tag(tag)
    publish(TagChanged(tag_id=tag.pk))
    diff = changes_diff(before, snapshot(tag, _AUDITED))
    if diff:
        audit_record("tag.updated", obj=tag, changes=diff)
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag) -> None:
    """Delete a tag and remove it from every contact."""
    tag_id = tag.pk
    target = audit_object(tag)
    tag.contacts.clear()
    tag.delete()
    audit_record("tag.deleted", obj=target)
    publish(TagChanged(tag_id=tag_id, deleted=True))
