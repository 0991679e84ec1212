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
