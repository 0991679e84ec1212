"""Reads of data subjects' requests, for the request log and the download."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from privacy.errors import PrivacyRequestNotFound
from privacy.models import PrivacyRequest


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
