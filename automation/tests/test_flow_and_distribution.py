"""The chatbot and the rest of automation: a distributing queue leaves the tickets the bot
holds alone (no agent is handed a conversation the bot is still having, no out-of-hours notice
talks over it) and gets them when the bot lets go."""

from __future__ import annotations

from accounts.tests.factories import UserFactory
from automation.selectors.flows import flow_holds_ticket
from automation.services.distribution import ticket_distribute
from automation.tests.conftest import run_automation_tasks
from automation.tests.support import after_commit, customer_writes
from channels_integrations.services.inbound_batches import inbound_batch_process
from channels_integrations.tests.support import body_of, post_webhook, text_item
from tenants.tenancy import tenant_scope
from tickets.models import ConnectionRouting, Message, Queue, Ticket
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


def test_in_one_batch_the_bot_attaches_on_the_first_message_and_reads_the_second(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    """The chatbot's gate is read once for a batch, before the bot attached: the second
    message of the same batch is still read as the answer to the menu the first one got."""
    _admin, sales, _support, _flow = setup
    ConnectionRouting.objects.create(connection=connection, default_queue=sales)
    with tenant_scope(alpha.tenant):
        body = body_of(text_item("b1", "chat-7", "oi"), text_item("b2", "chat-7", "1"))
        assert post_webhook(connection, body).status_code == 200

    after_commit(
        alpha.tenant,
        django_capture_on_commit_callbacks,
        lambda: inbound_batch_process(connection_id=connection.pk),
    )

    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        bodies = list(ticket.messages.order_by("id").values_list("sender", "body"))
        assert bodies[:2] == [("contact", "oi"), ("contact", "1")]
        bot = [body for sender, body in bodies[2:] if sender != "contact"]
        assert bot[0].startswith("Olá")  # the menu, for the first message
        assert ticket.flow_run.ended_at is not None  # "1" = Vendas: the bot let go
        assert not flow_holds_ticket(ticket=ticket)
        assert ticket.queue == sales
        assert Message.objects.filter(ticket=ticket, direction="in").count() == 2


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
