"""Helpers of the WhatsApp QR tests: the simulated Evolution API gateway (its webhooks posted
through Django's test client, from the test's own thread) and a connection paired on it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from accounts.tests.factories import AdminFactory
from channels_integrations.services.connections import connection_create
from channels_integrations.tests.support import process_all
from conftest import host_client
from tenants.tenancy import tenant_scope
from tickets.models import Ticket

GLOBAL_KEY = "evolution-test-global-key"


def deliver(url: str, body: bytes, headers: dict[str, str]) -> int:
    extra = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    response = host_client("localhost").post(
        urlsplit(url).path, data=body, content_type="application/json", headers=extra
    )
    return int(response.status_code)


def webhooks_processed(sim: Any, tenant: Any, capture: Any) -> list[int]:
    """Post the webhooks the gateway held and process what they stored; their statuses."""
    with capture(execute=True):
        statuses: list[int] = sim.evolution.release()
    process_all(tenant)
    return statuses


def qr_connection(tenant: Any, *, name: str = "Loja WhatsApp", admin: Any = None) -> Any:
    """A WhatsApp QR connection created through the service, as an admin would."""
    with tenant_scope(tenant):
        return connection_create(
            by=admin or AdminFactory.create(), provider="whatsapp_qr", name=name, credentials={}
        )


def instance_of(connection: Any) -> str:
    return f"tt-{connection.public_id}"


def qr_conversation(
    tenant: Any, sim: Any, capture: Any, *, customer: str, text: str, message_id: str = ""
) -> tuple[Any, Any, Any]:
    """A paired QR connection whose customer wrote ``text``: ``(connection, ticket, admin)``,
    the ticket open and assigned to the admin."""
    connection = qr_connection(tenant)
    name = instance_of(connection)
    sim.evolution.scan(name)
    sim.evolution.customer_text(name, sender=customer, text=text, message_id=message_id)
    webhooks_processed(sim, tenant, capture)
    with tenant_scope(tenant):
        ticket = Ticket.objects.get()
        admin = AdminFactory()
        Ticket.objects.filter(pk=ticket.pk).update(status="open", assignee=admin)
        ticket.refresh_from_db()
    return connection, ticket, admin
