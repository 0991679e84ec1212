"""Recompute the attendance rollup of every tenant (or one) from the raw timeline."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reports.services import attendances_refresh
from tenants.models import Tenant
from tenants.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Rebuild reports' attendance rollup from the ticket timeline (all tenants or --tenant)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="schema name of one tenant")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = Tenant.objects.exclude(schema_name="public").order_by("schema_name")
        if options["tenant"]:
            tenants = tenants.filter(schema_name=options["tenant"])
        for tenant in tenants:
            with tenant_scope(tenant):
                count = attendances_refresh()
            self.stdout.write(f"{tenant.schema_name}: {count} attendances written")
