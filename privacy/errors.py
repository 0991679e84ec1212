"""Error codes of data subjects' requests and the retention policy."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError


class PrivacyRequestNotFound(ApplicationError):
    """Missing, of another kind, or not for the caller: the same answer, so nothing leaks."""

    code = "privacy_request_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Request not found.")


class PrivacyRequestInProgress(ApplicationError):
    code = "privacy_request_in_progress"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("A request of this kind for this contact is already being worked on.")


class ContactAlreadyErased(ApplicationError):
    code = "contact_already_erased"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This contact was already erased.")


class ExportNotAvailable(ApplicationError):
    code = "export_not_available"
    http_status = status.HTTP_410_GONE
    default_message = _("This export is not ready or its file was removed after its window.")
