"""Data subjects' requests: recorded, worked on by a background job, fulfilled, swept.

``privacy_export_request`` / ``privacy_erasure_request`` store the request and enqueue its job
after commit; the job (``privacy_request_fulfil``) claims it, runs the export or the erasure
with its progress on the row, and marks it fulfilled. A worker killed mid-way leaves the row
``running``: the broker hands the task out again (late acknowledgement), and the sweeper
re-enqueues requests nobody finished within ``STALE_AFTER``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from audit.services import SYSTEM, AuditObject, audit_record
from contacts.models import Contact
from core.event_bus import publish
from privacy.domain_events import PrivacyRequestCreated, PrivacyRequestFulfilled
from privacy.errors import ContactAlreadyErased, PrivacyRequestInProgress
from privacy.models import PrivacyRequest
from privacy.services.erasure import contact_erase, erased_contact_name
from privacy.services.exports import contact_export_build
from tenants.tenancy import tenant_media_owns

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 5


def _enqueue(request_id: int) -> None:
    from privacy.tasks import privacy_request_fulfil_task

    privacy_request_fulfil_task.apply_async(args=(request_id,), queue="bulk")


def _request(
    *, kind: str, contact: Contact, by: User | None, include_notes: bool = False
) -> PrivacyRequest:
    if PrivacyRequest.objects.filter(
        kind=kind,
        contact_ref=contact.pk,
        status__in=[PrivacyRequest.Status.PENDING, PrivacyRequest.Status.RUNNING],
    ).exists():
        raise PrivacyRequestInProgress()
    request = PrivacyRequest.objects.create(
        kind=kind,
        contact=contact,
        contact_ref=contact.pk,
        requested_by=by,
        include_notes=include_notes,
    )
    transaction.on_commit(lambda: _enqueue(request.pk))
    # The contact by id only: the log must not keep what an erasure removes.
    audit_record(
        f"privacy.{kind}_requested",
        actor=by,
        obj=_contact_object(contact.pk),
        extra={"request": request.pk, "include_notes": include_notes},
    )
    publish(
        PrivacyRequestCreated(
            request_id=request.pk,
            kind=kind,
            contact_id=contact.pk,
            requested_by_id=by.pk if by else None,
        )
    )
    return request


def _contact_object(contact_id: int) -> AuditObject:
    return AuditObject("contacts.contact", str(contact_id), f"#{contact_id}")


def _erasure_asked(contact_id: int) -> QuerySet[PrivacyRequest]:
    return PrivacyRequest.objects.filter(kind=PrivacyRequest.Kind.ERASURE, contact_ref=contact_id)


@transaction.atomic
def privacy_export_request(
    *, contact: Contact, requested_by: User | None, include_notes: bool = False
) -> PrivacyRequest:
    """Record an export request for ``contact`` and start building its ZIP (refused while the
    contact is being erased: the export would hold half-erased data)."""
    if (
        _erasure_asked(contact.pk)
        .filter(status__in=[PrivacyRequest.Status.PENDING, PrivacyRequest.Status.RUNNING])
        .exists()
    ):
        raise PrivacyRequestInProgress()
    return _request(
        kind=PrivacyRequest.Kind.EXPORT,
        contact=contact,
        by=requested_by,
        include_notes=include_notes,
    )


@transaction.atomic
def privacy_erasure_request(*, contact: Contact, requested_by: User | None) -> PrivacyRequest:
    """Record an erasure request for ``contact`` and start erasing it."""
    erased = erased_contact_name(contact.pk)
    done = PrivacyRequest.objects.filter(
        kind=PrivacyRequest.Kind.ERASURE, contact_ref=contact.pk, status=PrivacyRequest.Status.DONE
    )
    if contact.name == erased and done.exists():
        raise ContactAlreadyErased()
    return _request(kind=PrivacyRequest.Kind.ERASURE, contact=contact, by=requested_by)


def _claim(request_id: int) -> PrivacyRequest | None:
    """Take the request for this run (any state but fulfilled: a rerun resumes)."""
    with transaction.atomic():
        request = (
            PrivacyRequest.objects.select_for_update()
            .filter(pk=request_id)
            .exclude(status__in=[PrivacyRequest.Status.DONE, PrivacyRequest.Status.EXPIRED])
            .first()
        )
        if request is None:
            return None
        request.status = PrivacyRequest.Status.RUNNING
        request.attempts = F("attempts") + 1
        request.started_at = request.started_at or timezone.now()
        request.last_error = ""
        request.save(update_fields=["status", "attempts", "started_at", "last_error", "updated_at"])
        request.refresh_from_db()
        return request


def privacy_request_fulfil(*, request_id: int) -> PrivacyRequest | None:
    """Run the request's export or erasure to the end; nothing when it is already fulfilled."""
    request = _claim(request_id)
    if request is None:
        return None
    contact = Contact.objects.filter(pk=request.contact_ref).first()

    def progress(step: str, percent: int) -> None:
        PrivacyRequest.objects.filter(pk=request.pk).update(
            step=step, progress=min(percent, 99), updated_at=timezone.now()
        )

    try:
        if contact is None:
            # Deleted since (only contacts without tickets can be): nothing left to export or erase.
            request.file = ""
        elif (
            request.kind == PrivacyRequest.Kind.EXPORT
            and _erasure_asked(contact.pk)
            .filter(created_at__gt=request.created_at)
            .exclude(status=PrivacyRequest.Status.FAILED)
            .exists()
        ):
            # Erased (or being erased) since it was asked for: no file is built any more.
            request.file = ""
        elif request.kind == PrivacyRequest.Kind.EXPORT:
            progress("export", 10)
            request.file = contact_export_build(privacy_request=request, contact=contact)
            request.expires_at = timezone.now() + timedelta(days=settings.PRIVACY_EXPORT_DAYS)
        else:
            contact_erase(contact=contact, progress=progress)
    except Exception as exc:
        PrivacyRequest.objects.filter(pk=request.pk).update(
            status=PrivacyRequest.Status.FAILED, last_error=type(exc).__name__[:255]
        )
        raise
    exported = request.kind == PrivacyRequest.Kind.EXPORT and bool(request.file)
    request.status = (
        PrivacyRequest.Status.DONE
        if exported or request.kind == PrivacyRequest.Kind.ERASURE
        else PrivacyRequest.Status.EXPIRED
    )
    request.progress = 100
    request.step = ""
    request.fulfilled_at = timezone.now()
    request.save(
        update_fields=[
            "status",
            "progress",
            "step",
            "fulfilled_at",
            "file",
            "expires_at",
            "updated_at",
        ]
    )
    audit_record(
        f"privacy.{request.kind}_fulfilled",
        actor=SYSTEM,
        obj=_contact_object(request.contact_ref),
        extra={"request": request.pk, "status": request.status},
    )
    publish(
        PrivacyRequestFulfilled(
            request_id=request.pk, kind=request.kind, contact_id=request.contact_ref
        )
    )
    return request


def privacy_requests_sweep() -> int:
    """Re-enqueue the requests whose job was lost (a killed worker, a lost task) or failed,
    up to ``MAX_ATTEMPTS`` runs each; returns how many."""
    stale = PrivacyRequest.objects.filter(
        status__in=[
            PrivacyRequest.Status.PENDING,
            PrivacyRequest.Status.RUNNING,
            PrivacyRequest.Status.FAILED,
        ],
        updated_at__lt=timezone.now() - STALE_AFTER,
        attempts__lt=MAX_ATTEMPTS,
    )
    ids = list(stale.values_list("pk", flat=True))
    for request_id in ids:
        _enqueue(request_id)
    return len(ids)


def privacy_exports_expire() -> int:
    """Delete the export files past their window; the request stays in the log."""
    expired = 0
    for request in PrivacyRequest.objects.filter(
        kind=PrivacyRequest.Kind.EXPORT,
        status=PrivacyRequest.Status.DONE,
        expires_at__lte=timezone.now(),
    ):
        name = str(request.file.name or "")
        if name and tenant_media_owns(name):
            default_storage.delete(name)
        request.file = ""
        request.status = PrivacyRequest.Status.EXPIRED
        request.save(update_fields=["file", "status", "updated_at"])
        expired += 1
    return expired
