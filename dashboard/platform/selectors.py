"""Reads for the platform pages (public host): the tenants with their usage.

Usage lives in each tenant's own schema (users, channel connections, tickets): counted there
with one query per tenant.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from connections.models import ChannelConnection
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope
from tickets.models import Ticket


@dataclass(frozen=True)
class TenantUsage:
    """What a tenant uses against its limits."""

    active_users: int
    active_connections: int
    tickets_this_month: int


@dataclass(frozen=True)
class TenantWithUsage:
    tenant: Tenant
    usage: TenantUsage


def tenant_list_for_platform() -> list[Tenant]:
    """Every customer tenant (not the platform itself) by name, with its domains."""
    with public_scope():
        return list(Tenant.objects.exclude(schema_name="public").prefetch_related("domains"))


def tenant_get_for_platform(*, tenant_id: int) -> Tenant:
    """A customer tenant; ``Tenant.DoesNotExist`` for the platform itself or a missing one."""
    with public_scope():
        return Tenant.objects.exclude(schema_name="public").get(pk=tenant_id)


def _count(queryset: QuerySet) -> Subquery:
    """``(SELECT COUNT(*) FROM … WHERE …)`` as an expression (no GROUP BY on the outer query)."""
    counted = queryset.order_by().values(n=Func(F("pk"), function="COUNT"))
    return Subquery(counted, output_field=IntegerField())


def _month_start(tenant: Tenant) -> datetime:
    """The first instant of the current month in the tenant's own time zone."""
    local = timezone.now().astimezone(zoneinfo.ZoneInfo(tenant.time_zone))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def tenant_usage(tenant: Tenant) -> TenantUsage:
    """Active users, active channel connections and tickets created this (local) month.

    One query inside the tenant's schema: three counting subqueries hung on the tenant's own
    row (``tenants_tenant`` is found in ``public`` through the search path), so a page of N
    tenants costs N such queries plus a search-path switch each.
    """
    with tenant_scope(tenant):
        row = (
            Tenant.objects.filter(pk=tenant.pk)
            .values(
                users=_count(User.objects.filter(is_active=True)),
                connections=_count(ChannelConnection.objects.filter(is_active=True)),
                tickets=_count(Ticket.objects.filter(created_at__gte=_month_start(tenant))),
            )
            .get()
        )
    return TenantUsage(
        active_users=row["users"],
        active_connections=row["connections"],
        tickets_this_month=row["tickets"],
    )


def tenant_list_with_usage() -> list[TenantWithUsage]:
    """The platform's tenants list: each tenant with its usage."""
    return [
        TenantWithUsage(tenant=tenant, usage=tenant_usage(tenant))
        for tenant in tenant_list_for_platform()
    ]
