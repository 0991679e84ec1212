from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsIntegrationsConfig(AppConfig):
    name = "channels_integrations"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from channels_integrations import checks  # noqa: F401  (registers the system checks)
