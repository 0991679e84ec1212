"""Periodic realtime work (thin: the logic is in presence.py)."""

from __future__ import annotations

from celery import shared_task

from accounts.presence import presence_sweep, presence_tenants
from tenants.models import Tenant
from tenants.tenancy import tenant_scope


@shared_task(ignore_result=True)
def presence_sweep_task() -> int:
    """Turn offline the users whose sockets stopped sending heartbeats, in every tenant that
    has sockets; returns how many sockets were dropped."""
    dropped = 0
    schemas = presence_tenants()
    for tenant in Tenant.objects.filter(schema_name__in=schemas):
        with tenant_scope(tenant):
            dropped += presence_sweep()
    return dropped
