"""The chatbot and the rest of automation: a distributing queue leaves the tickets the bot
holds alone (no agent is handed a conversation the bot is still having, no out-of-hours notice
talks over it) and gets them when the bot lets go."""

from __future__ import annotations

from accounts.tests.factories import UserFactory
from automation.selectors.flows import flow_holds_ticket
from automation.services.distribution import ticket_distribute
from automation.tests.conftest import run_automation_tasks
from automation.tests.support import customer_writes
from tenants.tenancy import tenant_scope
from tickets.models import ConnectionRouting, Queue, Ticket
from tickets.services.tickets import ticket_accept

DISTRIBUTE = "automation.tasks.ticket_distribute_task"


def _sales_distributes(connection, sales):
    sales.distribution = Queue.Distribution.ROUND_ROBIN
    sales.save(update_fields=["distribution"])
    ConnectionRouting.objects.create(connection=connection, default_queue=sales)


def test_the_bot_keeps_its_ticket_and_the_hand_over_distributes_it(
    alpha, connection, setup, online, published, django_capture_on_commit_callbacks
):
    _admin, sales, _support, _flow = setup
    _sales_distributes(connection, sales)
    agent = UserFactory(name="Carla", queues=[sales])
    online(agent)
    capture = django_capture_on_commit_callbacks

    customer_writes(alpha.tenant, connection, capture, "oi")
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        assert ticket.queue == sales
        assert ticket.flow_run.ended_at is None
        assert flow_holds_ticket(ticket=ticket)
        # The distribution the new ticket triggered leaves it to the bot.
        run_automation_tasks(published, capture)
        assert ticket_distribute(ticket_id=ticket.pk) is None
        ticket.refresh_from_db()
        assert ticket.assignee is None

    # "1" = Vendas, the queue the ticket is already in: no transfer, the bot lets go...
    seen = len(published)
    customer_writes(alpha.tenant, connection, capture, "1")
    with tenant_scope(alpha.tenant):
        ticket.refresh_from_db()
        assert ticket.flow_run.ended_at is not None
        assert not flow_holds_ticket(ticket=ticket)
        # ...and its hand-over enqueued the distribution, which gives it to the online agent.
        assert [name for name, _a, _s in published[seen:]].count(DISTRIBUTE) == 1
        ran = run_automation_tasks(published, capture)
        assert (DISTRIBUTE, agent.pk) in ran
        ticket.refresh_from_db()
        assert ticket.assignee == agent
        assert ticket.status == Ticket.Status.PENDING


def test_a_ticket_the_bot_never_took_is_distributed(
    alpha, connection, setup, online, django_capture_on_commit_callbacks
):
    """No flow for this connection's tickets (the flow runs only for its test contacts): the
    new ticket is the queue's at once."""
    _admin, sales, _support, flow = setup
    flow.test_contacts = ["+5511999990000"]
    flow.save(update_fields=["test_contacts"])
    _sales_distributes(connection, sales)
    agent = UserFactory(name="Carla", queues=[sales])
    online(agent)

    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        assert not hasattr(ticket, "flow_run") or ticket.flow_run is None
        assert not flow_holds_ticket(ticket=ticket)
        assert ticket_distribute(ticket_id=ticket.pk) == agent


def test_an_accepted_ticket_is_not_the_bots(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    _admin, sales, _support, _flow = setup
    agent = UserFactory(name="Carla", queues=[sales])
    ConnectionRouting.objects.create(connection=connection, default_queue=sales)
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        ticket_accept(ticket=ticket, by=agent)
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "1")
    with tenant_scope(alpha.tenant):
        ticket.refresh_from_db()
        assert ticket.flow_run.ended_at is not None
        assert not flow_holds_ticket(ticket=ticket)
