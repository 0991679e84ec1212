from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Tenants")

    def ready(self) -> None:
        from tenants.host_cache import (
            request_generations_begin,
            request_generations_end,
            tenants_changed,
        )
        from tenants.models import Domain, Tenant

        # Every process that writes tenants or domains tells the HTTP processes' host cache.
        for model in (Tenant, Domain):
            post_save.connect(tenants_changed, sender=model, dispatch_uid=f"hosts-{model.__name__}")
            post_delete.connect(
                tenants_changed, sender=model, dispatch_uid=f"hosts-del-{model.__name__}"
            )
        # The caches' generations are read once per HTTP request (tenants/host_cache.py).
        request_started.connect(request_generations_begin, dispatch_uid="generations-begin")
        request_finished.connect(request_generations_end, dispatch_uid="generations-end")
