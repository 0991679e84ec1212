"""``/inbox/unread/``: the unread customer messages of my pending and open tickets, per ticket,
from which the inbox's tab title counts "(n)"; nobody else's, no closed ticket's, and nothing of
another tenant's user who has the same id."""

from __future__ import annotations

from accounts.tests.factories import UserFactory, users_with_the_same_id
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory, TicketFactory


def test_only_my_active_tickets_with_unread_messages_count(alpha, beta):
    ana, twin = users_with_the_same_id(alpha.tenant, beta.tenant)
    with tenant_scope(alpha.tenant):
        support = QueueFactory()
        support.members.add(ana)
        other = UserFactory(queues=[support])
        opened = TicketFactory(
            queue=support, status=Ticket.Status.OPEN, assignee=ana, unread_count=3
        )
        reserved = TicketFactory(queue=support, assignee=ana, unread_count=1)  # pending, hers
        TicketFactory(queue=support, status=Ticket.Status.OPEN, assignee=ana, unread_count=0)
        TicketFactory(queue=support, status=Ticket.Status.CLOSED, assignee=ana, unread_count=5)
        TicketFactory(queue=support, status=Ticket.Status.OPEN, assignee=other, unread_count=2)
        TicketFactory(queue=support, unread_count=4)  # waiting, nobody's
    with tenant_scope(beta.tenant):
        TicketFactory(status=Ticket.Status.OPEN, assignee=twin, unread_count=7)

    response = signed_in_client(alpha, ana).get("/inbox/unread/")

    assert response.status_code == 200
    assert response.json() == {"tickets": {str(opened.public_id): 3, str(reserved.public_id): 1}}


def test_a_signed_out_visit_gets_nothing(client_alpha):
    response = client_alpha.get("/inbox/unread/")
    assert response.status_code == 302
