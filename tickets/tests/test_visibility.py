"""Who sees which ticket: queues, assignment, wallets, and the three tenant settings; the
same rule for the detail (404), the list and the search."""

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import host_api_client, sign_in_api
from contacts.tests.factories import ContactFactory
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.selectors import ticket_list_for_inbox, tickets_visible_to
from tickets.tests.factories import MessageFactory, QueueFactory, TicketFactory


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def _visible(user):
    return set(tickets_visible_to(user).values_list("pk", flat=True))


def test_an_agent_outside_the_queue_never_sees_the_ticket(alpha):
    with tenant_scope(alpha.tenant):
        outsider = UserFactory(queues=[QueueFactory()])
        ticket = TicketFactory(queue=QueueFactory(), contact=ContactFactory(name="Secreta"))
        MessageFactory(ticket=ticket, body="contrato confidencial")
    api = sign_in_api(host_api_client(alpha.host), outsider.email)

    detail = api.get(f"/api/v1/tickets/{ticket.public_id}/")
    listed = api.get("/api/v1/tickets/")
    searched = api.get("/api/v1/tickets/", {"search": "confidencial"})
    by_name = api.get("/api/v1/tickets/", {"search": "Secreta"})
    accept = api.post(f"/api/v1/tickets/{ticket.public_id}/accept/")

    assert detail.status_code == 404
    assert detail.json()["code"] == "ticket_not_found"
    assert listed.json()["results"] == []
    assert searched.json()["results"] == []
    assert by_name.json()["results"] == []
    assert accept.status_code == 404


def test_agents_see_their_queues_their_tickets_their_wallet_and_queueless_ones(in_alpha):
    queue = QueueFactory()
    agent = UserFactory(queues=[queue])
    in_queue = TicketFactory(queue=queue)
    assigned = TicketFactory(queue=QueueFactory(), status=Ticket.Status.OPEN, assignee=agent)
    wallet = TicketFactory(queue=QueueFactory())
    wallet.contact.owners.add(agent)
    queueless = TicketFactory(queue=None)
    hidden = TicketFactory(queue=QueueFactory())

    assert _visible(agent) == {in_queue.pk, assigned.pk, wallet.pk, queueless.pk}
    assert hidden.pk in _visible(AdminFactory())


def test_hide_tickets_assigned_to_others(in_alpha):
    queue = QueueFactory()
    agent, other = UserFactory(queues=[queue]), UserFactory(queues=[queue])
    theirs = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=other)
    assert theirs.pk in _visible(agent)

    tenant_settings_update(tenant=in_alpha.tenant, values={"hide_tickets_assigned_to_others": True})

    assert theirs.pk not in _visible(agent)


def test_hide_tickets_without_queue(in_alpha):
    agent = UserFactory()
    queueless = TicketFactory(queue=None)
    assert queueless.pk in _visible(agent)

    tenant_settings_update(tenant=in_alpha.tenant, values={"hide_tickets_without_queue": True})

    assert queueless.pk not in _visible(agent)
    assert queueless.pk not in {t.pk for t in ticket_list_for_inbox(user=agent)}


def test_hide_tickets_of_other_wallets(in_alpha):
    queue = QueueFactory()
    agent, other = UserFactory(queues=[queue]), UserFactory(queues=[queue])
    walleted = TicketFactory(queue=queue)
    walleted.contact.owners.add(other)
    assert walleted.pk in _visible(agent)

    tenant_settings_update(tenant=in_alpha.tenant, values={"hide_tickets_of_other_wallets": True})

    assert walleted.pk not in _visible(agent)
    assert walleted.pk in _visible(other)


def test_soft_deleted_tickets_are_hidden_from_everyone_in_the_inbox(in_alpha):
    admin = AdminFactory()
    ticket = TicketFactory(status=Ticket.Status.CLOSED)
    Ticket.objects.filter(pk=ticket.pk).update(deleted_at=ticket.closed_at)
    assert ticket.pk not in _visible(admin)
