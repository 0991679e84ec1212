"""Automatic distribution: only online members of the queue, idle agents included, the queue's
rule (round-robin, least busy, by capacity), the timeline and the live event, the tickets
waiting when an agent comes online, and two tenants that never share agents."""

from __future__ import annotations

import pytest

from accounts.presence import AWAY, presence_choose
from accounts.tests.factories import AdminFactory, UserFactory
from automation.services.distribution import agent_backlog_distribute, ticket_distribute
from automation.tests.conftest import receive, receive_in_batch, run_automation_tasks
from channels_integrations.tests.support import sample_connection, text_item
from tenants.tenancy import tenant_scope
from tickets.models import Queue, Ticket, TicketEvent
from tickets.services.tickets import ticket_transfer
from tickets.tests.factories import QueueFactory, TicketFactory

Mode = Queue.Distribution
DISTRIBUTE = "automation.tasks.ticket_distribute_task"


def _tickets(queue, count):
    return [TicketFactory(queue=queue) for _ in range(count)]


def test_least_busy_picks_the_idle_agent_with_no_ticket_at_all(alpha, online):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Mode.LEAST_BUSY)
        busy, idle = UserFactory(queues=[queue]), UserFactory(queues=[queue])
        TicketFactory(queue=queue, status="open", assignee=busy)
        online(busy)
        online(idle)
        [ticket] = _tickets(queue, 1)

        assert ticket_distribute(ticket_id=ticket.pk) == idle

        ticket.refresh_from_db()
        assert (ticket.status, ticket.assignee) == ("pending", idle)
        event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.AUTO_ASSIGNED)
        assert event.actor is None
        assert event.data["to_agent"]["id"] == idle.pk
        assert event.data["mode"] == "least_busy"


def test_only_online_members_of_the_queue_are_chosen(alpha, online):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Mode.ROUND_ROBIN)
        away = UserFactory(queues=[queue])
        offline = UserFactory(queues=[queue])  # noqa: F841 (never connects)
        chose_away = UserFactory(queues=[queue])
        outsider = UserFactory()
        member_online = UserFactory(queues=[queue])
        online(away, AWAY)
        online(chose_away)
        presence_choose(user_id=chose_away.pk, status=AWAY)
        online(outsider)
        online(member_online)

        given = {ticket_distribute(ticket_id=t.pk) for t in _tickets(queue, 3)}

        assert given == {member_online}


def test_nobody_online_leaves_the_ticket_waiting(alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Mode.LEAST_BUSY)
        UserFactory(queues=[queue])
        [ticket] = _tickets(queue, 1)

        assert ticket_distribute(ticket_id=ticket.pk) is None
        ticket.refresh_from_db()
        assert ticket.assignee is None


def test_a_queue_that_does_not_distribute_hands_out_nothing(alpha, online):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()  # distribution "none"
        online(UserFactory(queues=[queue]))
        [ticket] = _tickets(queue, 1)

        assert ticket_distribute(ticket_id=ticket.pk) is None


def test_round_robin_takes_turns(alpha, online):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Mode.ROUND_ROBIN)
        agents = [UserFactory(queues=[queue]) for _ in range(3)]
        for agent in agents:
            online(agent)

        given = [ticket_distribute(ticket_id=t.pk) for t in _tickets(queue, 6)]

        assert given == agents + agents


def test_capacity_is_never_exceeded(alpha, online):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Mode.CAPACITY, agent_capacity=2)
        first, second = UserFactory(queues=[queue]), UserFactory(queues=[queue])
        online(first)
        online(second)
        TicketFactory(status="open", assignee=first)  # counts, whatever its queue

        given = [ticket_distribute(ticket_id=t.pk) for t in _tickets(queue, 4)]

        assert sorted(a.pk if a else 0 for a in given) == sorted(
            [first.pk, second.pk, second.pk, 0]
        )


def test_a_new_ticket_from_a_connection_reaches_an_online_agent_with_the_timeline_entry(
    alpha, sample_providers, media_root, published, online, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Mode.LEAST_BUSY)
        agent = UserFactory(queues=[queue])
    connection = sample_connection(alpha.tenant, default_queue=queue)
    with tenant_scope(alpha.tenant):
        online(agent)
        receive(connection, capture, text_item("e1"))

        ran = run_automation_tasks(published, capture)

        ticket = Ticket.objects.get()
        assert (DISTRIBUTE, agent.pk) in ran
        assert ticket.assignee == agent
        assert ticket.events.filter(kind=TicketEvent.Kind.AUTO_ASSIGNED).count() == 1


def test_a_batchs_new_tickets_are_handed_out_by_one_task_in_turn_and_only_once(
    alpha, sample_providers, media_root, published, online, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Mode.ROUND_ROBIN)
        agents = [UserFactory(queues=[queue]) for _ in range(2)]
    connection = sample_connection(alpha.tenant, default_queue=queue)
    with tenant_scope(alpha.tenant):
        for agent in agents:
            online(agent)
        receive_in_batch(connection, capture, *[text_item(f"e{n}", f"chat-{n}") for n in range(4)])

        ran = run_automation_tasks(published, capture)
        run_automation_tasks(published, capture)  # handed out again: nothing changes

        # (The assignment itself publishes the one-ticket task, which finds nothing to do.)
        distributed = [r for name, r in ran if name == "automation.tasks.tickets_distribute_task"]
        tickets = Ticket.objects.order_by("id")
        assert distributed == [[agents[0].pk, agents[1].pk, agents[0].pk, agents[1].pk]]
        assert [t.assignee_id for t in tickets] == distributed[0]
        assert TicketEvent.objects.filter(kind=TicketEvent.Kind.AUTO_ASSIGNED).count() == 4


def test_a_ticket_transferred_to_a_distributing_queue_is_handed_out(
    alpha, published, online, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        support = QueueFactory(distribution=Mode.ROUND_ROBIN)
        agent = UserFactory(queues=[support])
        online(agent)
        ticket = TicketFactory(queue=QueueFactory(), status="open", assignee=admin)

        with capture(execute=True):
            ticket_transfer(ticket=ticket, by=admin, to_queue=support)
        run_automation_tasks(published, capture)

        ticket.refresh_from_db()
        assert (ticket.queue, ticket.assignee, ticket.status) == (support, agent, "pending")


def test_an_agent_coming_online_gets_the_tickets_waiting_in_their_queues(
    alpha, published, online, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Mode.CAPACITY, agent_capacity=2)
        agent = UserFactory(queues=[queue])
        waiting = _tickets(queue, 3)
        online(agent, AWAY)  # connected but away: nothing yet
        with capture(execute=True):
            presence_choose(user_id=agent.pk, status=AWAY)
        run_automation_tasks(published, capture)
        assert not Ticket.objects.filter(assignee=agent).exists()

        with capture(execute=True):
            online(agent)  # back: the socket says online again
            presence_choose(user_id=agent.pk, status="online")
        run_automation_tasks(published, capture)

        assigned = set(Ticket.objects.filter(assignee=agent).values_list("pk", flat=True))
        assert assigned == {waiting[0].pk, waiting[1].pk}  # oldest first, up to capacity


def test_backlog_distribution_never_crosses_tenants(alpha, beta, online):
    with tenant_scope(beta.tenant):
        beta_queue = QueueFactory(distribution=Mode.LEAST_BUSY)
        beta_ticket = TicketFactory(queue=beta_queue)
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Mode.LEAST_BUSY)
        agent = UserFactory(queues=[queue])
        online(agent)
        _tickets(queue, 2)

        assert agent_backlog_distribute(user_id=agent.pk) == 2
    with tenant_scope(beta.tenant):
        beta_ticket.refresh_from_db()
        assert beta_ticket.assignee is None


@pytest.mark.parametrize("mode", [Mode.LEAST_BUSY, Mode.ROUND_ROBIN])
def test_admins_who_are_members_count_like_agents(alpha, online, mode):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=mode)
        admin = AdminFactory(queues=[queue])
        online(admin)
        [ticket] = _tickets(queue, 1)

        assert ticket_distribute(ticket_id=ticket.pk) == admin
