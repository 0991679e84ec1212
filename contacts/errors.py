"""Error codes of the contacts domain (contacts, tags, custom attributes, imports)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError


class ContactNotFound(ApplicationError):
    """Missing, or not visible to the caller: the same answer, so nothing leaks."""

    code = "contact_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Contact not found.")


class InvalidPhone(ApplicationError):
    code = "invalid_phone"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("This is not a valid phone number.")


class ContactPhoneExists(ApplicationError):
    code = "contact_phone_exists"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Another contact already has this phone number.")


class ContactHasTickets(ApplicationError):
    code = "contact_has_tickets"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("A contact with tickets cannot be deleted.")


class TagNotFound(ApplicationError):
    code = "tag_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Tag not found.")


class TagExists(ApplicationError):
    code = "tag_exists"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("A tag with this name already exists.")


class AttributeDefinitionNotFound(ApplicationError):
    code = "contact_attribute_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Contact attribute not found.")


class AttributeDefinitionExists(ApplicationError):
    code = "contact_attribute_exists"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("A contact attribute with this key already exists.")


class ImportFileInvalid(ApplicationError):
    code = "import_file_invalid"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The file cannot be imported.")


class ImportFileTooLarge(ApplicationError):
    code = "import_file_too_large"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The file is too large to import.")


class ContactImportNotFound(ApplicationError):
    code = "contact_import_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Import not found.")


class ImportNotInPreview(ApplicationError):
    code = "contact_import_started"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This import has already been started.")
