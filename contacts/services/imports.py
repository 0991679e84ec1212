"""CSV imports of contacts: an upload is checked and queued, then run in batches by a task."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.csv_io import CsvRow, csv_decode, csv_parse
from contacts.errors import ImportFileInvalid, ImportFileTooLarge, InvalidPhone
from contacts.models import Contact, ContactImport
from contacts.phone_numbers import phone_normalize, tenant_phone_region
from contacts.services._validation import tags_existing
from contacts.tasks import contact_import_run_task

logger = logging.getLogger(__name__)

IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_BATCH_SIZE = 500


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
    tags = tags_existing(tag_ids)

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
