"""Rows the bench modules seed through the product's own services.

Django must be set up first (``bench.harness.django_setup``); the product is imported inside the
functions, so importing this module does not need Django.
"""

from __future__ import annotations

from typing import Any

ADMIN_PASSWORD = "Bench-Admin-Password-1"


def tenant_with_agents(
    *, name: str, slug: str, email_domain: str, agents: int
) -> tuple[Any, Any, list[Any]]:
    """A tenant made by ``tenant_provision`` (its admin is ``admin@<email_domain>``) with one
    queue, "Bench", of ``agents`` agents (``agent<n>@<email_domain>``). Returns the tenant, the
    queue and the agents."""
    from accounts.models import User
    from tenants.services import tenant_provision
    from tenants.tenancy import tenant_scope
    from tickets.models import Queue

    tenant = tenant_provision(
        name=name,
        slug=slug,
        admin_email=f"admin@{email_domain}",
        admin_password=ADMIN_PASSWORD,
        max_users=agents + 10,
    ).tenant
    with tenant_scope(tenant):
        queue = Queue.objects.create(name="Bench", color="#336699")
        users = User.objects.bulk_create(
            User(email=f"agent{n}@{email_domain}", name=f"Agent {n}", role=User.Role.AGENT)
            for n in range(agents)
        )
        queue.members.set(users)
    return tenant, queue, users


def inbound_drained(tenant: Any, *, body_prefix: str, timeout: float = 120) -> dict[str, Any]:
    """Wait until the tenant's inbound events are all processed (at most ``timeout`` seconds),
    then count the customers' messages whose text starts with ``body_prefix``: ``drain_s``,
    ``stored``, ``unique`` (distinct provider ids), ``events`` (per status) and ``created``
    (``(text, created_at)`` of each)."""
    import time

    from django.db.models import Count

    from channels_integrations.models import InboundEvent
    from tenants.tenancy import tenant_scope
    from tickets.models import Message

    started = time.time()
    with tenant_scope(tenant):
        while InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).exists():
            if time.time() - started > timeout:
                break
            time.sleep(0.5)
        drained_s = time.time() - started
        rows = Message.objects.filter(body__startswith=body_prefix, direction="in")
        return {
            "drain_s": round(drained_s, 1),
            "stored": rows.count(),
            "unique": rows.values("provider_message_id").distinct().count(),
            "events": dict(
                InboundEvent.objects.values_list("status").annotate(n=Count("pk")).order_by()
            ),
            "created": list(rows.values_list("body", "created_at")),
        }
