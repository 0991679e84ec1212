"""Error codes of the campaigns domain."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError


class CampaignNotFound(ApplicationError):
    code = "campaign_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Campaign not found.")


class CampaignNotEditable(ApplicationError):
    """Changes to the message, audience or schedule are only allowed before the start."""

    code = "campaign_not_editable"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("A campaign can only be changed before it starts.")


class CampaignStateConflict(ApplicationError):
    """The action does not apply to the campaign's current status (``extra["status"]``)."""

    code = "campaign_state_conflict"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The campaign cannot do that in its current status.")


class CampaignEmpty(ApplicationError):
    code = "campaign_empty"
    default_message = _("The campaign has nobody to send to.")


class CampaignTemplateRequired(ApplicationError):
    """WhatsApp Cloud starts conversations only with an approved message template."""

    code = "campaign_template_required"
    default_message = _("WhatsApp Cloud campaigns need an approved message template.")
