from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Bulk sends: a campaign's message variants, audience and schedule, one row per recipient
    (the truth its counts are read from), contacts' opt-outs, and the paced bulk sender."""

    name = "campaigns"
    verbose_name = _("Campaigns")
