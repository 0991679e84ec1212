from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from integrations import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from integrations.models import WebhookSubscription
        from integrations.subscribed_types import on_subscription_saved_or_deleted

        # Any change of a subscription (services, admin, factories) renews the kept types.
        for signal in (post_save, post_delete):
            signal.connect(
                on_subscription_saved_or_deleted,
                sender=WebhookSubscription,
                dispatch_uid="webhook_subscribed_types",
            )
