"""Reads of data subjects' requests, for the request log and the download."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet

from contacts.models import Contact, ContactIdentity
from privacy.errors import PrivacyRequestNotFound
from privacy.models import PrivacyRequest
from privacy.traces import contact_messages
from tickets.models import Ticket


def privacy_request_list() -> QuerySet[PrivacyRequest]:
    """The tenant's request log, newest first, with who asked and the contact."""
    return PrivacyRequest.objects.select_related("contact", "requested_by").order_by(
        "-created_at", "-id"
    )


def privacy_export_get(*, public_id: UUID) -> PrivacyRequest:
    """An export request with its file still there (``PrivacyRequestNotFound`` otherwise)."""
    request = (
        PrivacyRequest.objects.filter(public_id=public_id, kind=PrivacyRequest.Kind.EXPORT)
        .select_related("contact")
        .first()
    )
    if request is None:
        raise PrivacyRequestNotFound()
    return request


@dataclass(frozen=True)
class ErasureScope:
    """What an erasure of the contact removes, for the confirmation."""

    tickets: int
    messages: int
    files: int
    identities: list[str]
    exports: int


def privacy_erasure_scope(contact: Contact) -> ErasureScope:
    messages = contact_messages(contact)
    return ErasureScope(
        tickets=Ticket.objects.filter(contact=contact).count(),
        messages=messages.exclude(body="", media="").count(),
        files=messages.exclude(media="").count() + (1 if contact.avatar else 0),
        identities=sorted(
            ContactIdentity.objects.filter(contact=contact).values_list("provider", flat=True)
        ),
        exports=PrivacyRequest.objects.filter(contact_ref=contact.pk).exclude(file="").count(),
    )
