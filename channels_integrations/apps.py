from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ChannelsIntegrationsConfig(AppConfig):
    name = "channels_integrations"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from channels_integrations.services.webhook_routes import channels_changed
        from connections.models import ChannelConnection
        from tenants.models import ChannelRoute

        # Every process that writes connections or routes tells the webhook routes' cache
        # (routes written in bulk by tenants.channel_routes tell it themselves).
        for model in (ChannelConnection, ChannelRoute):
            post_save.connect(
                channels_changed, sender=model, dispatch_uid=f"webhook-routes-{model.__name__}"
            )
            post_delete.connect(
                channels_changed, sender=model, dispatch_uid=f"webhook-routes-del-{model.__name__}"
            )
