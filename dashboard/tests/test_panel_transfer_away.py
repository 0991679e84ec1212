"""A transfer that takes the ticket out of the agent's queues: the panel says where it went, and
the page is told (``HX-Trigger: tt:ticket-gone``) to toast it, drop the row and stop viewing."""

from __future__ import annotations

import json

from accounts.tests.factories import UserFactory
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_ticket_transferred_out_of_the_agents_queues_closes_the_panel_with_a_toast(alpha, beta):
    with tenant_scope(alpha.tenant):
        support, sales = QueueFactory(name="Suporte"), QueueFactory(name="Vendas")
        ana = UserFactory(queues=[support])
        ticket = TicketFactory(queue=support, status=Ticket.Status.OPEN, assignee=ana)
    client = signed_in_client(alpha, ana)

    response = client.post(f"/tickets/{ticket.public_id}/transfer/", {"queue": ""}, **HTMX)
    assert response.status_code == 400  # nothing chosen: refused, nothing changes

    response = client.post(f"/tickets/{ticket.public_id}/transfer/", {"queue": sales.pk}, **HTMX)

    assert response.status_code == 200
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.get(pk=ticket.pk).queue_id == sales.pk
    html = response.content.decode()
    assert 'data-testid="panel-gone"' in html
    assert "Ticket transferido para Vendas" in html
    gone = json.loads(response["HX-Trigger"])["tt:ticket-gone"]
    assert gone == {"ticket": str(ticket.public_id), "message": gone["message"]}
    assert "Vendas" in gone["message"]
    # the same ticket id on another tenant's host is nobody's
    with tenant_scope(beta.tenant):
        beta_agent = UserFactory()
    beta_panel = signed_in_client(beta, beta_agent).get(
        f"/tickets/{ticket.public_id}/panel/", **HTMX
    )
    assert "Vendas" not in beta_panel.content.decode()
