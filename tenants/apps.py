from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Tenants")

    def ready(self) -> None:
        from tenants.host_cache import tenants_changed
        from tenants.models import Domain, Tenant

        # Every process that writes tenants or domains tells the HTTP processes' host cache.
        for model in (Tenant, Domain):
            post_save.connect(tenants_changed, sender=model, dispatch_uid=f"hosts-{model.__name__}")
            post_delete.connect(
                tenants_changed, sender=model, dispatch_uid=f"hosts-del-{model.__name__}"
            )
