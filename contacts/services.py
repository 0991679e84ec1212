"""Writes of the contacts domain: contacts, their identities on channels, tags, custom attribute
definitions and CSV imports. Views, tasks and providers all change contacts through here."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Func, JSONField, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.csv_io import CsvRow, csv_decode, csv_parse
from contacts.domain_events import ContactUpdated, TagChanged
from contacts.errors import (
    AttributeDefinitionExists,
    ContactHasTickets,
    ContactPhoneExists,
    ImportFileInvalid,
    ImportFileTooLarge,
    InvalidPhone,
    TagExists,
)
from contacts.models import (
    Contact,
    ContactAttributeDefinition,
    ContactIdentity,
    ContactImport,
    Tag,
)
from contacts.phone_numbers import phone_normalize, tenant_phone_region
from contacts.tasks import contact_import_run_task
from core.event_bus import publish
from core.exceptions import FieldValidationError

logger = logging.getLogger(__name__)

IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_BATCH_SIZE = 500
_UPSERT_ATTEMPTS = 3
_TEXT_ATTRIBUTE_MAX = 1000
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ----------------------------------------------------------------------------- helpers


def _full_clean(instance: Contact | Tag | ContactAttributeDefinition, **kwargs: Any) -> None:
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


def _phone_or_error(raw: str) -> str:
    """The E.164 form of ``raw`` ("" stays ""), with the error under the ``phone`` field."""
    if not raw.strip():
        return ""
    try:
        return phone_normalize(raw, region=tenant_phone_region())
    except InvalidPhone as exc:
        raise FieldValidationError({"phone": [exc.message]}) from exc


def _check_phone_free(phone: str, *, exclude_pk: int | None = None) -> None:
    if not phone:
        return
    others = Contact.objects.filter(phone=phone)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ContactPhoneExists(
            extra={"fields": {"phone": [str(ContactPhoneExists.default_message)]}}
        )


def _save_contact(contact: Contact) -> None:
    """Save in a savepoint: a concurrent insert of the same phone becomes ContactPhoneExists."""
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        raise ContactPhoneExists(
            extra={"fields": {"phone": [str(ContactPhoneExists.default_message)]}}
        ) from exc


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


def _tags_existing(tag_ids: Iterable[int]) -> list[Tag]:
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


def _owners_existing(owner_ids: Iterable[int]) -> list[User]:
    wanted = set(owner_ids)
    owners = list(User.objects.filter(pk__in=wanted, is_active=True))
    missing = wanted - {owner.pk for owner in owners}
    if missing:
        raise FieldValidationError(
            {
                "owner_ids": [
                    _("Unknown or inactive users: %(ids)s")
                    % {"ids": ", ".join(map(str, sorted(missing)))}
                ]
            }
        )
    return owners


# ----------------------------------------------------------------------------- contacts


@transaction.atomic
def contact_create(
    *,
    name: str,
    phone: str = "",
    email: str = "",
    avatar_url: str = "",
    notes: str = "",
    custom_attributes: Mapping[str, Any] | None = None,
    tag_ids: Sequence[int] = (),
    owner_ids: Sequence[int] = (),
    is_blocked: bool = False,
) -> Contact:
    """Create a contact; the phone is stored in E.164 and must not belong to another contact."""
    normalized = _phone_or_error(phone)
    contact = Contact(
        name=name.strip() or normalized,
        phone=normalized,
        email=email.strip().lower(),
        avatar_url=avatar_url.strip(),
        notes=notes,
        custom_attributes=contact_attributes_clean(custom_attributes or {}),
        is_blocked=is_blocked,
    )
    tags = _tags_existing(tag_ids)
    owners = _owners_existing(owner_ids)
    _check_phone_free(normalized)
    _full_clean(contact, validate_unique=False, validate_constraints=False)
    _save_contact(contact)
    if tags:
        contact.tags.set(tags)
    if owners:
        contact.owners.set(owners)
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    avatar_url: str | None = None,
    notes: str | None = None,
    custom_attributes: Mapping[str, Any] | None = None,
    is_blocked: bool | None = None,
) -> Contact:
    """Change the given fields (``None`` leaves a field as it is).

    ``custom_attributes`` replaces the whole set of values.
    """
    if name is not None:
        contact.name = name.strip()
    if phone is not None:
        contact.phone = _phone_or_error(phone)
        _check_phone_free(contact.phone, exclude_pk=contact.pk)
    if email is not None:
        contact.email = email.strip().lower()
    if avatar_url is not None:
        contact.avatar_url = avatar_url.strip()
    if notes is not None:
        contact.notes = notes
    if custom_attributes is not None:
        contact.custom_attributes = contact_attributes_clean(custom_attributes)
    if is_blocked is not None:
        contact.is_blocked = is_blocked
    _full_clean(contact, validate_unique=False, validate_constraints=False)
    _save_contact(contact)
    publish(ContactUpdated(contact_id=contact.pk))
    return contact


@transaction.atomic
def contact_block(*, contact: Contact) -> Contact:
    """Block the contact: its messages are no longer turned into tickets."""
    return contact_update(contact=contact, is_blocked=True)


@transaction.atomic
def contact_unblock(*, contact: Contact) -> Contact:
    """Unblock the contact."""
    return contact_update(contact=contact, is_blocked=False)


@transaction.atomic
def contact_tags_set(*, contact: Contact, tag_ids: Sequence[int]) -> list[Tag]:
    """Replace the contact's tags; every tag must exist."""
    tags = _tags_existing(tag_ids)
    contact.tags.set(tags)
    publish(ContactUpdated(contact_id=contact.pk))
    return tags


@transaction.atomic
def contact_owners_set(*, contact: Contact, owner_ids: Sequence[int]) -> list[User]:
    """Replace the contact's wallet owners; every owner must be an active user of the tenant."""
    owners = _owners_existing(owner_ids)
    contact.owners.set(owners)
    publish(ContactUpdated(contact_id=contact.pk))
    return owners


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    """Delete a contact that has never had a ticket (its history must stay readable)."""
    if contact.tickets.exists():
        raise ContactHasTickets()
    contact.delete()


def _fill_empty(contact: Contact, *, name: str, phone: str, avatar_url: str) -> None:
    """Complete what the contact lacks from the channel's data; never overwrite what is there."""
    changed: list[str] = []
    if not contact.name and name:
        contact.name = name
        changed.append("name")
    if not contact.avatar_url and avatar_url:
        contact.avatar_url = avatar_url
        changed.append("avatar_url")
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])
    if not contact.phone and phone and not Contact.objects.filter(phone=phone).exists():
        try:
            with transaction.atomic():
                Contact.objects.filter(pk=contact.pk).update(phone=phone, updated_at=timezone.now())
        except IntegrityError:
            return  # another contact took the number meanwhile; the identity still reaches this one
        contact.phone = phone


@transaction.atomic
def contact_upsert_from_identity(
    *,
    provider: str,
    external_id: str,
    name: str,
    phone: str | None = None,
    avatar_url: str = "",
) -> tuple[Contact, bool]:
    """The contact a channel identity belongs to, creating it on first contact.

    Found through ``ContactIdentity(provider, external_id)``; else through the phone (a new
    identity is attached); else a new contact and identity are created. Fields an agent set are
    kept; only empty ones are filled. A phone the numbering plan refuses is ignored, so a message
    is never lost because of it. Safe under concurrency: the unique constraints decide which of
    simultaneous callers creates the rows, and the others read the winner's after a retry.
    Returns ``(contact, created)``.
    """
    normalized = ""
    if phone:
        try:
            normalized = phone_normalize(phone, region=tenant_phone_region())
        except InvalidPhone:
            logger.info("Ignoring invalid phone from %s identity %s", provider, external_id)
    name = name.strip()[:150]
    avatar_url = avatar_url.strip()[:1000]
    for attempt in range(_UPSERT_ATTEMPTS):
        identity = (
            ContactIdentity.objects.select_related("contact")
            .filter(provider=provider, external_id=external_id)
            .first()
        )
        if identity is not None:
            if name and identity.display_name != name:
                identity.display_name = name
                identity.save(update_fields=["display_name", "updated_at"])
            _fill_empty(identity.contact, name=name, phone=normalized, avatar_url=avatar_url)
            return identity.contact, False
        try:
            with transaction.atomic():
                contact = Contact.objects.filter(phone=normalized).first() if normalized else None
                created = contact is None
                if contact is None:
                    contact = Contact.objects.create(
                        name=name or normalized or external_id[:150],
                        phone=normalized,
                        avatar_url=avatar_url,
                    )
                else:
                    _fill_empty(contact, name=name, phone="", avatar_url=avatar_url)
                ContactIdentity.objects.create(
                    contact=contact, provider=provider, external_id=external_id, display_name=name
                )
        except IntegrityError:
            # A concurrent call created the identity (or the contact with this phone) first;
            # its transaction has committed once our insert failed, so the next read sees it.
            if attempt == _UPSERT_ATTEMPTS - 1:
                raise
            continue
        return contact, created
    raise AssertionError("unreachable")  # pragma: no cover


# ----------------------------------------------------------------------------- tags


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


@transaction.atomic
def tag_create(*, name: str, color: str = "#5b6478", is_active: bool = True) -> Tag:
    """Create a tag; names are unique without regard to case."""
    tag = Tag(name=name.strip(), color=color, is_active=is_active)
    _full_clean(tag, validate_constraints=False)
    _check_tag_name_free(tag.name)
    _save_tag(tag)
    publish(TagChanged(tag_id=tag.pk))
    return tag


@transaction.atomic
def tag_update(
    *, tag: Tag, name: str | None = None, color: str | None = None, is_active: bool | None = None
) -> Tag:
    """Change the given fields of a tag (``None`` leaves a field as it is)."""
    if name is not None:
        tag.name = name.strip()
    if color is not None:
        tag.color = color
    if is_active is not None:
        tag.is_active = is_active
    _full_clean(tag, validate_constraints=False)
    _check_tag_name_free(tag.name, exclude_pk=tag.pk)
    _save_tag(tag)
    publish(TagChanged(tag_id=tag.pk))
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag) -> None:
    """Delete a tag and remove it from every contact."""
    tag_id = tag.pk
    tag.contacts.clear()
    tag.delete()
    publish(TagChanged(tag_id=tag_id, deleted=True))


# ----------------------------------------------------------------------------- attributes


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


@transaction.atomic
def contact_attribute_definition_create(
    *, key: str, label: str, type: str, choices: Sequence[Any] = ()
) -> ContactAttributeDefinition:
    """Define a custom contact attribute; the key is what API clients send values under."""
    definition = ContactAttributeDefinition(
        key=key.strip(), label=label.strip(), type=type, choices=_choices_clean(type, choices)
    )
    _full_clean(definition, validate_unique=False)
    if ContactAttributeDefinition.objects.filter(key=definition.key).exists():
        raise AttributeDefinitionExists(
            extra={"fields": {"key": [str(AttributeDefinitionExists.default_message)]}}
        )
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError as exc:
        raise AttributeDefinitionExists() from exc
    return definition


@transaction.atomic
def contact_attribute_definition_update(
    *,
    definition: ContactAttributeDefinition,
    label: str | None = None,
    choices: Sequence[Any] | None = None,
) -> ContactAttributeDefinition:
    """Rename an attribute or change its choices; key and type are fixed once values exist."""
    if label is not None:
        definition.label = label.strip()
    if choices is not None:
        definition.choices = _choices_clean(definition.type, choices)
    _full_clean(definition, validate_unique=False)
    definition.save()
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
    definition.delete()


# ----------------------------------------------------------------------------- imports


@transaction.atomic
def contact_import_start(
    *, file: UploadedFile, created_by: User, tag_ids: Sequence[int] = ()
) -> ContactImport:
    """Check an uploaded CSV and queue its import; nothing is stored when the file is refused.

    The file must be a CSV in UTF-8 (a BOM is fine), delimited by "," or ";", of at most
    IMPORT_MAX_BYTES, with a header naming a name and a phone column.
    """
    if file.size is None or file.size > IMPORT_MAX_BYTES:
        raise ImportFileTooLarge(extra={"max_bytes": IMPORT_MAX_BYTES})
    original_name = (file.name or "").rsplit("/", 1)[-1]
    if not original_name.lower().endswith(".csv"):
        raise ImportFileInvalid(_("Only .csv files can be imported."))
    data = file.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise ImportFileTooLarge(extra={"max_bytes": IMPORT_MAX_BYTES})
    content = csv_parse(csv_decode(data))
    tags = _tags_existing(tag_ids)

    contact_import = ContactImport(
        original_name=original_name[:255],
        created_by=created_by,
        total_rows=len(content.rows),
    )
    contact_import.file.save("import.csv", ContentFile(data), save=False)
    contact_import.save()
    if tags:
        contact_import.tags.set(tags)
    import_id = contact_import.pk
    # The "bulk" queue has its own worker, so a large file never delays inbound messages.
    transaction.on_commit(
        lambda: contact_import_run_task.apply_async(args=(import_id,), queue="bulk")
    )
    return contact_import


def _row_error(row: CsvRow, field: str, message: str) -> dict[str, Any]:
    return {"row": row.number, "field": field, "message": message}


def _import_batch(
    rows: Sequence[CsvRow], *, region: str, tag_ids: Sequence[int]
) -> tuple[int, int, list[dict[str, Any]]]:
    """Upsert one batch of rows by phone; returns (created, updated, errors)."""
    errors: list[dict[str, Any]] = []
    wanted: dict[str, tuple[str, str]] = {}  # phone -> (name, email), later rows win
    row_phones: list[str] = []
    for row in rows:
        if not row.phone:
            errors.append(_row_error(row, "phone", _("The phone is missing.")))
            continue
        try:
            phone = phone_normalize(row.phone, region=region)
        except InvalidPhone:
            errors.append(_row_error(row, "phone", _("This is not a valid phone number.")))
            continue
        if row.email:
            try:
                validate_email(row.email)
            except ValidationError:
                errors.append(_row_error(row, "email", _("This is not a valid e-mail address.")))
                continue
        if len(row.name) > 150:
            errors.append(_row_error(row, "name", _("Use at most 150 characters.")))
            continue
        previous_name, previous_email = wanted.get(phone, ("", ""))
        wanted[phone] = (row.name or previous_name, row.email.lower() or previous_email)
        row_phones.append(phone)

    existing = {contact.phone: contact for contact in Contact.objects.filter(phone__in=wanted)}
    new_contacts = [
        Contact(name=name or phone, phone=phone, email=email)
        for phone, (name, email) in wanted.items()
        if phone not in existing
    ]
    try:
        with transaction.atomic():
            Contact.objects.bulk_create(new_contacts)
    except IntegrityError:
        # A contact with one of these phones was created meanwhile (an inbound message, say):
        # fall back to one row at a time.
        for contact in new_contacts:
            contact.pk = None
            try:
                with transaction.atomic():
                    contact.save()
            except IntegrityError:
                existing[contact.phone] = Contact.objects.get(phone=contact.phone)
        new_contacts = [contact for contact in new_contacts if contact.pk is not None]
    created_phones = {contact.phone for contact in new_contacts}

    changed: list[Contact] = []
    now = timezone.now()
    for phone, contact in existing.items():
        name, email = wanted[phone]
        if (name and name != contact.name) or (email and email != contact.email):
            contact.name = name or contact.name
            contact.email = email or contact.email
            contact.updated_at = now
            changed.append(contact)
    if changed:
        Contact.objects.bulk_update(changed, ["name", "email", "updated_at"])

    if tag_ids:
        links = [
            Contact.tags.through(contact_id=contact.pk, tag_id=tag_id)
            for contact in [*new_contacts, *existing.values()]
            for tag_id in tag_ids
        ]
        Contact.tags.through.objects.bulk_create(links, ignore_conflicts=True)

    # The first row of a new phone created it; every other accepted row updated a contact.
    created = len(created_phones)
    return created, len(row_phones) - created, errors


def contact_import_run(*, import_id: int) -> ContactImport:
    """Process a queued import in batches, saving progress after each; idempotent once finished.

    A retried run starts over: rows are upserted by phone, so nothing is duplicated.
    """
    contact_import = ContactImport.objects.get(pk=import_id)
    if contact_import.status in (ContactImport.Status.DONE, ContactImport.Status.FAILED):
        return contact_import
    contact_import.status = ContactImport.Status.RUNNING
    contact_import.processed_rows = 0
    contact_import.created_count = contact_import.updated_count = contact_import.skipped_count = 0
    contact_import.errors = []
    contact_import.save()
    progress = [
        "processed_rows",
        "created_count",
        "updated_count",
        "skipped_count",
        "errors",
        "updated_at",
    ]
    try:
        with contact_import.file.open("rb") as stored:
            content = csv_parse(csv_decode(stored.read()))
        region = tenant_phone_region()
        tag_ids = list(contact_import.tags.values_list("pk", flat=True))
        contact_import.total_rows = len(content.rows)
        contact_import.save(update_fields=["total_rows", "updated_at"])
        for start in range(0, len(content.rows), IMPORT_BATCH_SIZE):
            batch = content.rows[start : start + IMPORT_BATCH_SIZE]
            with transaction.atomic():
                created, updated, errors = _import_batch(batch, region=region, tag_ids=tag_ids)
                contact_import.processed_rows += len(batch)
                contact_import.created_count += created
                contact_import.updated_count += updated
                contact_import.skipped_count += len(errors)
                contact_import.errors.extend(errors)
                contact_import.save(update_fields=progress)
    except ImportFileInvalid as exc:
        return _import_fail(contact_import, exc.message)
    except Exception:
        logger.exception("Contact import %s failed", contact_import.public_id)
        return _import_fail(contact_import, _("The import stopped because of an internal error."))
    contact_import.status = ContactImport.Status.DONE
    contact_import.finished_at = timezone.now()
    contact_import.save(update_fields=["status", "finished_at", "updated_at"])
    return contact_import


def _import_fail(contact_import: ContactImport, message: str) -> ContactImport:
    contact_import.status = ContactImport.Status.FAILED
    contact_import.finished_at = timezone.now()
    contact_import.errors = [*contact_import.errors, {"row": None, "field": "", "message": message}]
    contact_import.save(update_fields=["status", "finished_at", "errors", "updated_at"])
    return contact_import
