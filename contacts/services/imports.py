"""CSV imports of contacts: an upload is checked and either previewed (the user then picks what
happens to contacts that already exist and starts it) or queued at once; a task runs it in
batches and reports every row it did not import."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import AuditObject, audit_object, audit_record
from contacts.csv_io import (
    ATTRIBUTE_PREFIX,
    COLUMN_LABELS,
    CsvContent,
    CsvRow,
    csv_decode,
    csv_parse,
    header_key,
)
from contacts.errors import ImportFileInvalid, ImportFileTooLarge, ImportNotInPreview, InvalidPhone
from contacts.models import Contact, ContactAttributeDefinition, ContactImport, Tag
from contacts.phone_numbers import phone_normalize, tenant_phone_region
from contacts.services._validation import tags_existing
from contacts.services.attributes import contact_attribute_value_from_text
from contacts.services.tags import tag_create
from contacts.tasks import contact_import_run_task
from core.exceptions import ApplicationError
from tenants.tenancy import current_tenant

logger = logging.getLogger(__name__)

IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_BATCH_SIZE = 500
PREVIEW_ROWS = 5
# The conflicts listed for a decision under "ask"; the ones after these are skipped.
PREVIEW_MAX_CONFLICTS = 200
_TAG_NAME_MAX = 60
_NAME_MAX = 150

Duplicates = ContactImport.Duplicates


# ----------------------------------------------------------------------------- reading rows


@dataclass
class _Lookups:
    """What checking a row needs from the tenant, read once per import."""

    region: str
    definitions: dict[str, ContactAttributeDefinition]
    users: dict[str, int]  # e-mail (lower case) -> user id
    tags: dict[str, Tag]  # name (lower case) -> tag
    may_create_tags: bool

    @classmethod
    def load(cls, *, may_create_tags: bool) -> _Lookups:
        return cls(
            region=tenant_phone_region(),
            definitions={d.key: d for d in ContactAttributeDefinition.objects.all()},
            users={email.lower(): pk for pk, email in User.objects.values_list("pk", "email")},
            tags={tag.name.lower(): tag for tag in Tag.objects.all()},
            may_create_tags=may_create_tags,
        )


@dataclass
class CheckedRow:
    """A row whose cells are all valid, in stored form."""

    row: CsvRow
    phone: str
    email: str
    attributes: dict[str, Any]
    owner_ids: list[int]
    tag_names: tuple[str, ...]


def _row_error(row: CsvRow, field: str, message: str) -> dict[str, Any]:
    return {"row": row.number, "field": field, "message": message}


def attribute_headers() -> dict[str, str]:
    """Folded header names of the tenant's custom attributes (key and label) -> key."""
    headers: dict[str, str] = {}
    for key, label in ContactAttributeDefinition.objects.values_list("key", "label"):
        headers.setdefault(header_key(label), key)
        headers[header_key(key)] = key
    return headers


def _phone(row: CsvRow, region: str) -> str:
    """The row's phone in E.164; ValueError with a message for people if it has none."""
    if not row.phone:
        raise ValueError(_("The phone is missing."))
    try:
        return phone_normalize(row.phone, region=region)
    except InvalidPhone as exc:
        raise ValueError(_("This is not a valid phone number.")) from exc


def _row_check(row: CsvRow, lookups: _Lookups) -> CheckedRow | dict[str, Any]:
    """The row in stored form, or the error of its first invalid cell."""
    try:
        phone = _phone(row, lookups.region)
    except ValueError as exc:
        return _row_error(row, "phone", str(exc))
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            return _row_error(row, "email", _("This is not a valid e-mail address."))
    if len(row.name) > _NAME_MAX:
        return _row_error(row, "name", _("Use at most 150 characters."))
    unknown_owners = [email for email in row.owners if email.lower() not in lookups.users]
    if unknown_owners:
        message = _("No user has this e-mail: %(emails)s")
        return _row_error(row, "owners", message % {"emails": ", ".join(unknown_owners)})
    if any(len(name) > _TAG_NAME_MAX for name in row.tags):
        return _row_error(row, "tags", _("A tag has at most 60 characters."))
    unknown_tags = [name for name in row.tags if name.lower() not in lookups.tags]
    if unknown_tags and not lookups.may_create_tags:
        return _row_error(
            row, "tags", _("Unknown tags: %(ids)s") % {"ids": ", ".join(unknown_tags)}
        )
    attributes: dict[str, Any] = {}
    for key, text in row.attributes.items():
        try:
            attributes[key] = contact_attribute_value_from_text(lookups.definitions[key], text)
        except ValueError as exc:
            return _row_error(row, ATTRIBUTE_PREFIX + key, str(exc))
    return CheckedRow(
        row=row,
        phone=phone,
        email=row.email.lower(),
        attributes=attributes,
        owner_ids=[lookups.users[email.lower()] for email in row.owners],
        tag_names=row.tags,
    )


def _read(contact_import: ContactImport) -> CsvContent:
    with contact_import.file.open("rb") as stored:
        return csv_parse(csv_decode(stored.read()), attribute_headers=attribute_headers())


# ----------------------------------------------------------------------------- starting


@transaction.atomic
def contact_import_start(
    *,
    file: UploadedFile,
    created_by: User,
    tag_ids: Sequence[int] = (),
    duplicates: str = Duplicates.UPDATE,
    preview: bool = False,
) -> ContactImport:
    """Check an uploaded CSV and queue its import (or, with ``preview``, keep it waiting for
    ``contact_import_confirm``); nothing is stored when the file is refused.

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
    content = csv_parse(csv_decode(data), attribute_headers=attribute_headers())
    tags = tags_existing(tag_ids)
    if duplicates not in Duplicates.values or (duplicates == Duplicates.ASK and not preview):
        raise ImportFileInvalid(
            _("Choose what happens to contacts that already exist."),
            extra={"fields": {"duplicates": [_("Choose skip or update.")]}},
        )

    contact_import = ContactImport(
        original_name=original_name[:255],
        created_by=created_by,
        total_rows=len(content.rows),
        duplicates=duplicates,
        status=ContactImport.Status.PREVIEW if preview else ContactImport.Status.PENDING,
    )
    contact_import.file.save("import.csv", ContentFile(data), save=False)
    contact_import.save()
    if tags:
        contact_import.tags.set(tags)
    if not preview:
        _enqueue(contact_import)
    audit_record(
        "contact_import.started",
        actor=created_by,
        obj=_audited(contact_import),
        extra={
            "rows": contact_import.total_rows,
            "tags": len(tags),
            "duplicates": duplicates,
            "preview": preview,
        },
    )
    return contact_import


def _audited(contact_import: ContactImport) -> AuditObject:
    # Labelled by id only: a file's name may be a person's.
    return audit_object(contact_import, label=f"#{contact_import.pk}")


def _enqueue(contact_import: ContactImport) -> None:
    import_id = contact_import.pk
    # The "bulk" queue has its own worker, so a large file never delays inbound messages.
    transaction.on_commit(
        lambda: contact_import_run_task.apply_async(args=(import_id,), queue="bulk")
    )


@transaction.atomic
def contact_import_confirm(
    *, contact_import: ContactImport, duplicates: str, update_rows: Collection[int] = ()
) -> ContactImport:
    """Start a previewed import: rows whose phone belongs to a contact are skipped, update it,
    or (``ask``) update it only for the file rows listed in ``update_rows``."""
    locked = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
    if locked.status != ContactImport.Status.PREVIEW:
        raise ImportNotInPreview()
    if duplicates not in Duplicates.values:
        raise ImportFileInvalid(
            _("Choose what happens to contacts that already exist."),
            extra={"fields": {"duplicates": [_("Choose skip, update or ask.")]}},
        )
    locked.duplicates = duplicates
    locked.update_rows = sorted(set(update_rows)) if duplicates == Duplicates.ASK else []
    locked.status = ContactImport.Status.PENDING
    locked.save(update_fields=["duplicates", "update_rows", "status", "updated_at"])
    _enqueue(locked)
    audit_record(
        "contact_import.confirmed",
        obj=_audited(locked),
        extra={
            "rows": locked.total_rows,
            "duplicates": duplicates,
            "update_rows": len(locked.update_rows),
        },
    )
    return locked


@transaction.atomic
def contact_import_cancel(*, contact_import: ContactImport) -> None:
    """Drop a previewed import and its stored file; a started import cannot be cancelled."""
    locked = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
    if locked.status != ContactImport.Status.PREVIEW:
        raise ImportNotInPreview()
    name = locked.file.name or ""
    storage = locked.file.storage
    target = _audited(locked)
    locked.delete()
    audit_record("contact_import.cancelled", obj=target, extra={"rows": locked.total_rows})
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# ----------------------------------------------------------------------------- preview


@dataclass(frozen=True)
class ImportConflict:
    """A file row whose phone already belongs to a contact."""

    number: int
    name: str
    contact: Contact


@dataclass(frozen=True)
class ImportPreview:
    """What an upload holds and what importing it would do (read only)."""

    content: CsvContent
    # The first rows as they would be stored, or the error that would skip them.
    rows: list[CheckedRow | dict[str, Any]]
    conflicts: list[ImportConflict]
    conflict_count: int
    # Rows whose phone an earlier row of the file already has (always reported, never merged).
    repeated_count: int
    new_tags: list[str] = field(default_factory=list)


def contact_import_preview(*, contact_import: ContactImport) -> ImportPreview:
    """Read a previewed upload: its first rows checked, the rows whose phone already belongs to
    a contact, repeated phones and tags that would be created. Writes nothing."""
    content = _read(contact_import)
    created_by = contact_import.created_by
    lookups = _Lookups.load(may_create_tags=created_by is not None and created_by.is_admin)
    first_row: dict[str, int] = {}
    repeated = 0
    names: dict[str, CsvRow] = {}
    new_tags: dict[str, str] = {}
    for row in content.rows:
        for tag in row.tags:
            if tag.lower() not in lookups.tags:
                new_tags.setdefault(tag.lower(), tag)
        try:
            phone = _phone(row, lookups.region)
        except ValueError:
            continue
        if phone in first_row:
            repeated += 1
            continue
        first_row[phone] = row.number
        names[phone] = row
    conflicts: list[ImportConflict] = []
    count = 0
    phones = list(first_row)
    for start in range(0, len(phones), IMPORT_BATCH_SIZE):
        chunk = phones[start : start + IMPORT_BATCH_SIZE]
        for contact in Contact.objects.filter(phone__in=chunk).order_by("phone"):
            count += 1
            row = names[contact.phone]
            conflicts.append(ImportConflict(number=row.number, name=row.name, contact=contact))
    conflicts.sort(key=lambda conflict: conflict.number)
    return ImportPreview(
        content=content,
        rows=[_row_check(row, lookups) for row in content.rows[:PREVIEW_ROWS]],
        conflicts=conflicts[:PREVIEW_MAX_CONFLICTS],
        conflict_count=count,
        repeated_count=repeated,
        new_tags=sorted(new_tags.values(), key=str.lower) if lookups.may_create_tags else [],
    )


def import_field_label(field: str) -> str:
    """The name a person reads for a field of the import report, in the active language."""
    if field.startswith(ATTRIBUTE_PREFIX):
        key = field.removeprefix(ATTRIBUTE_PREFIX)
        label = ContactAttributeDefinition.objects.filter(key=key).values_list("label", flat=True)
        return label.first() or key
    return str(COLUMN_LABELS.get(field, field))


# ----------------------------------------------------------------------------- running


@dataclass
class _Run:
    """One run's settings and what it has seen so far (across batches)."""

    lookups: _Lookups
    duplicates: str
    update_rows: set[int]
    tag_ids: list[int]
    first_row: dict[str, int] = field(default_factory=dict)  # phone -> row that had it first


def _tag_ids(names: Collection[str], run: _Run) -> dict[str, int]:
    """Ids of the named tags (lower-case name -> id), creating the missing ones."""
    for name in names:
        if name.lower() not in run.lookups.tags:
            try:
                run.lookups.tags[name.lower()] = tag_create(name=name)
            except ApplicationError:
                # Created meanwhile under another case: use that one.
                run.lookups.tags[name.lower()] = Tag.objects.get(name__iexact=name)
    return {name.lower(): run.lookups.tags[name.lower()].pk for name in names}


def _create(checked: list[CheckedRow]) -> tuple[list[Contact], list[CheckedRow]]:
    """Create the contacts of ``checked``; returns them and the rows whose phone turned out to
    be taken meanwhile (an inbound message, say)."""
    contacts = [
        Contact(
            name=item.row.name or item.phone,
            phone=item.phone,
            email=item.email,
            custom_attributes=item.attributes,
        )
        for item in checked
    ]
    try:
        with transaction.atomic():
            Contact.objects.bulk_create(contacts)
        return contacts, []
    except IntegrityError:
        created: list[Contact] = []
        taken: list[CheckedRow] = []
        for contact, item in zip(contacts, checked, strict=True):
            contact.pk = None
            try:
                with transaction.atomic():
                    contact.save()
                created.append(contact)
            except IntegrityError:
                taken.append(item)
        return created, taken


def _update(pairs: list[tuple[Contact, CheckedRow]]) -> None:
    """Fill the contacts with the rows' non-empty cells (attributes merged)."""
    now = timezone.now()
    for contact, item in pairs:
        contact.name = item.row.name or contact.name
        contact.email = item.email or contact.email
        contact.custom_attributes = {**contact.custom_attributes, **item.attributes}
        contact.updated_at = now
    if pairs:
        Contact.objects.bulk_update(
            [contact for contact, _item in pairs],
            ["name", "email", "custom_attributes", "updated_at"],
        )


def _link(pairs: list[tuple[Contact, CheckedRow]], run: _Run) -> None:
    """Add the rows' tags (and the import's tags) and owners to the contacts."""
    names = {name for _contact, item in pairs for name in item.tag_names}
    tag_ids = _tag_ids(names, run)
    tag_links = [
        Contact.tags.through(contact_id=contact.pk, tag_id=tag_id)
        for contact, item in pairs
        for tag_id in {*run.tag_ids, *(tag_ids[name.lower()] for name in item.tag_names)}
    ]
    Contact.tags.through.objects.bulk_create(tag_links, ignore_conflicts=True)
    owner_links = [
        Contact.owners.through(contact_id=contact.pk, user_id=user_id)
        for contact, item in pairs
        for user_id in item.owner_ids
    ]
    Contact.owners.through.objects.bulk_create(owner_links, ignore_conflicts=True)


def _import_batch(rows: Sequence[CsvRow], run: _Run) -> tuple[int, int, list[dict[str, Any]]]:
    """Import one batch of rows; returns (created, updated, errors)."""
    errors: list[dict[str, Any]] = []
    accepted: list[CheckedRow] = []
    for row in rows:
        checked = _row_check(row, run.lookups)
        if isinstance(checked, dict):
            errors.append(checked)
            continue
        first = run.first_row.setdefault(checked.phone, row.number)
        if first != row.number:
            message = _("Row %(row)s has the same phone; this row was not imported.")
            errors.append(_row_error(row, "phone", message % {"row": first}))
            continue
        accepted.append(checked)

    existing = {c.phone: c for c in Contact.objects.filter(phone__in=[a.phone for a in accepted])}
    created, taken = _create([item for item in accepted if item.phone not in existing])
    if taken:
        existing.update(
            {c.phone: c for c in Contact.objects.filter(phone__in=[t.phone for t in taken])}
        )
    by_phone = {item.phone: item for item in accepted}
    updated: list[tuple[Contact, CheckedRow]] = []
    for phone, contact in existing.items():
        item = by_phone[phone]
        wanted = run.duplicates == Duplicates.UPDATE or (
            run.duplicates == Duplicates.ASK and item.row.number in run.update_rows
        )
        if wanted:
            updated.append((contact, item))
        else:
            message = _("A contact with this phone already exists; it was left as it is.")
            errors.append(_row_error(item.row, "phone", message))
    _update(updated)
    _link([*((contact, by_phone[contact.phone]) for contact in created), *updated], run)
    errors.sort(key=lambda error: error["row"])
    return len(created), len(updated), errors


def _language(contact_import: ContactImport) -> str:
    """The language of the report: its author's, else the tenant's."""
    author = contact_import.created_by
    return (author.language if author is not None else "") or current_tenant().language


def contact_import_run(*, import_id: int) -> ContactImport:
    """Process a queued import in batches, saving progress after each; idempotent once finished.

    A retried run starts over: rows are matched by phone, so nothing is duplicated.
    """
    contact_import = ContactImport.objects.select_related("created_by").get(pk=import_id)
    if contact_import.status in (
        ContactImport.Status.PREVIEW,
        ContactImport.Status.DONE,
        ContactImport.Status.FAILED,
    ):
        return contact_import
    with translation.override(_language(contact_import)):
        return _run(contact_import)


def _run(contact_import: ContactImport) -> ContactImport:
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
        content = _read(contact_import)
        author = contact_import.created_by
        run = _Run(
            lookups=_Lookups.load(may_create_tags=author is not None and author.is_admin),
            duplicates=contact_import.duplicates,
            update_rows=set(contact_import.update_rows),
            tag_ids=list(contact_import.tags.values_list("pk", flat=True)),
        )
        contact_import.total_rows = len(content.rows)
        contact_import.save(update_fields=["total_rows", "updated_at"])
        for start in range(0, len(content.rows), IMPORT_BATCH_SIZE):
            batch = content.rows[start : start + IMPORT_BATCH_SIZE]
            with transaction.atomic():
                created, updated, errors = _import_batch(batch, run)
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
