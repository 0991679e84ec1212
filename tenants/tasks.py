"""Celery entry points of tenancy."""

from __future__ import annotations

from celery import current_app, shared_task

from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope


@shared_task(name="tenants.tasks.tenants_fan_out_task")
def tenants_fan_out_task(task_name: str) -> int:
    """Enqueue ``task_name`` once in each active tenant's schema; returns how many."""
    with public_scope():
        tenants = list(
            Tenant.objects.filter(status=Tenant.Status.ACTIVE).exclude(schema_name="public")
        )
    for tenant in tenants:
        with tenant_scope(tenant):  # the task is stamped with, and runs in, this schema
            current_app.send_task(task_name)
    return len(tenants)
