from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = _("Channel connections")

    def ready(self) -> None:
        from connections import checks  # noqa: F401  (registers the system checks)
