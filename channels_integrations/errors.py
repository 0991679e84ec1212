"""Error codes of the channels domain: webhooks and the web chat widget (the connections' own
errors are in connections/errors.py)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError, FieldValidationError


class WebhookUnknown(ApplicationError):
    """No active connection answers to this webhook URL or account."""

    code = "webhook_unknown"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("No channel connection receives webhooks here.")


class WebhookForbidden(ApplicationError):
    """The request's signature or secret does not match the connection's."""

    code = "webhook_forbidden"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("The webhook request could not be verified.")


class WebhookMalformed(ApplicationError):
    code = "webhook_malformed"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The webhook body is not a payload of this provider.")


class WidgetNotFound(ApplicationError):
    code = "widget_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("This chat is not available.")


class VisitorForbidden(ApplicationError):
    """No visitor token, or one that is not for this widget (tampered, other connection)."""

    code = "visitor_forbidden"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("Start the conversation again.")


class WidgetThrottled(ApplicationError):
    code = "throttled"
    http_status = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many messages. Wait a moment and try again.")


class InboundEventNotReplayable(ApplicationError):
    """Only events whose processing failed and quarantined parts can be retried."""

    code = "inbound_event_not_replayable"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Only failed or quarantined inbound events can be retried.")


class InboundItemStillMalformed(ApplicationError):
    """Replaying a quarantined part: the provider's parser still cannot read it."""

    code = "inbound_item_still_malformed"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The item still cannot be read.")


# --------------------------------------------------------------------------- message templates


class TemplateNotApproved(ApplicationError):
    """Only an approved template may be sent (``extra["status"]`` is the template's)."""

    code = "template_not_approved"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This template is not approved by WhatsApp, so it cannot be sent.")


class TemplateParametersInvalid(FieldValidationError):
    """Parameters that do not match the template: ``extra["fields"]`` names each missing,
    empty, unknown or malformed one by its key (``body.1``, ``header.media``...)."""

    code = "template_parameters_invalid"

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(fields, message=str(_("The template's parameters are not right.")))


class TemplateConnectionInvalid(ApplicationError):
    """Templates need a WhatsApp Cloud connection with its business account id."""

    code = "template_connection_invalid"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("Message templates exist on WhatsApp Cloud API connections only.")


class TemplateProviderRefused(ApplicationError):
    """WhatsApp refused or failed a template call; ``extra["provider_code"]`` says why."""

    code = "template_provider_refused"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("WhatsApp refused the request.")


class TemplateNotFound(ApplicationError):
    code = "template_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Message template not found.")
