from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsIntegrationsConfig(AppConfig):
    name = "channels_integrations"
    verbose_name = _("Channels")
