"""Celery entry points of tenancy."""

from __future__ import annotations

from celery import current_app, shared_task
from django.conf import settings

from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope
from tenants.tenant_settings import tenant_setting


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


@shared_task(name="tenants.tasks.audit_retention_task")
def audit_retention_task() -> dict[str, int]:
    """Apply the audit log's retention: the platform's (``AUDIT_PUBLIC_RETENTION_DAYS``) and
    every tenant's own (its ``audit_retention_days`` setting, suspended tenants included).
    Returns how many entries went, per schema."""
    from audit.services import audit_retention_apply

    deleted: dict[str, int] = {}
    with public_scope():
        deleted["public"] = audit_retention_apply(days=settings.AUDIT_PUBLIC_RETENTION_DAYS)
        tenants = list(Tenant.objects.exclude(schema_name="public"))
    for tenant in tenants:
        with tenant_scope(tenant):
            days = int(tenant_setting("audit_retention_days"))
            deleted[tenant.schema_name] = audit_retention_apply(days=days)
    return deleted
