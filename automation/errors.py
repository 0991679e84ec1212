"""Error codes of the automation domain (the chatbot's flows)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError


class FlowNotFound(ApplicationError):
    code = "flow_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Flow not found.")


class FlowVersionNotFound(ApplicationError):
    code = "flow_version_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Flow version not found.")


class FlowInvalid(ApplicationError):
    """The graph cannot be saved; ``extra["errors"]`` lists each problem with its node and
    field."""

    code = "flow_invalid"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The flow has errors; fix them and save again.")


class FlowImportUnmapped(ApplicationError):
    """Queue or user ids of an imported flow have no local counterpart by name."""

    code = "flow_import_unmapped"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("Some queues or users of the imported flow were not found by name.")


class FlowImportMalformed(ApplicationError):
    code = "flow_import_malformed"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _(
        "This is not a flow exported by the original system ({nodeList, lineList})."
    )


class TestContactInvalid(ApplicationError):
    code = "test_contact_invalid"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("A test contact is not a valid phone number.")


class ConnectionNotFound(ApplicationError):
    code = "connection_not_found"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("A channel connection of the list does not exist.")
