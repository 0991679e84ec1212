"""Re-encrypt every tenant's channel credentials with the newest CREDENTIALS_ENCRYPTION_KEY."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from connections.services import connections_credentials_reencrypt
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope


class Command(BaseCommand):
    help = (
        "Re-encrypt channel credentials with the first key of CREDENTIALS_ENCRYPTION_KEY "
        "(run after adding a new key in front; then the old key can be removed)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with public_scope():
            tenants = list(Tenant.objects.exclude(schema_name="public").order_by("schema_name"))
        total = 0
        for tenant in tenants:
            with tenant_scope(tenant):
                total += connections_credentials_reencrypt()
        self.stdout.write(f"Re-encrypted the credentials of {total} connection(s).")
