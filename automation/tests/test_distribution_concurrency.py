"""Fifty tickets entering one queue at the same moment, five online agents of capacity 10:
each agent gets exactly ten, none eleven. The distributions run in real threads with their own
committed PostgreSQL connections; a second queue sharing the agents races the first, and the
capacity still holds across both. Everything created is deleted at the end."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

from django.db import connection as db_connection

from accounts.models import User
from accounts.presence import presence_touch
from accounts.tests.factories import UserFactory
from automation.models import DistributionTurn
from automation.services.distribution import ticket_distribute
from tenants.tenancy import tenant_scope
from tickets.models import Queue, Ticket, TicketEvent
from tickets.tests.factories import QueueFactory, TicketFactory

THREADS = 20  # concurrent database connections (the machine's PostgreSQL is shared)


def _in_thread(func):
    result, errors = {}, []

    def run():
        try:
            result["value"] = func()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            db_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not errors, errors
    return result.get("value")


def _distribute_all(tenant, ticket_ids):
    """Every ticket distributed by THREADS threads released together; the chosen agent ids."""
    barrier = threading.Barrier(THREADS)
    pending = list(ticket_ids)
    lock = threading.Lock()
    chosen, errors = [], []

    def run():
        try:
            barrier.wait()
            with tenant_scope(tenant):
                while True:
                    with lock:
                        if not pending:
                            return
                        ticket_id = pending.pop()
                    agent = ticket_distribute(ticket_id=ticket_id)
                    with lock:
                        chosen.append(agent.pk if agent else None)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return chosen


def _cleanup(tenant, queue_ids, agent_ids):
    def clean():
        with tenant_scope(tenant):
            tickets = Ticket.objects.filter(queue_id__in=queue_ids)
            contacts = list(tickets.values_list("contact_id", flat=True))
            connections = list(tickets.values_list("connection_id", flat=True))
            TicketEvent.objects.filter(ticket__in=tickets).delete()
            tickets.delete()
            from connections.models import ChannelConnection
            from contacts.models import Contact

            Contact.objects.filter(pk__in=contacts).delete()
            ChannelConnection.objects.filter(pk__in=connections).delete()
            DistributionTurn.objects.filter(queue_id__in=queue_ids).delete()
            Queue.objects.filter(pk__in=queue_ids).delete()
            User.objects.filter(pk__in=agent_ids).delete()

    _in_thread(clean)


def test_fifty_tickets_at_once_five_agents_of_capacity_ten_get_exactly_ten_each(alpha):
    tenant = alpha.tenant

    def setup():
        with tenant_scope(tenant):
            queue = QueueFactory(distribution=Queue.Distribution.CAPACITY, agent_capacity=10)
            agents = [UserFactory(queues=[queue]) for _ in range(5)]
            for agent in agents:
                presence_touch(user_id=agent.pk, channel=f"test-{uuid.uuid4().hex}")
            tickets = [TicketFactory(queue=queue).pk for _ in range(50)]
            return queue.pk, [a.pk for a in agents], tickets

    queue_id, agent_ids, ticket_ids = _in_thread(setup)
    try:
        chosen = _distribute_all(tenant, ticket_ids)

        assert None not in chosen
        assert Counter(chosen) == dict.fromkeys(agent_ids, 10)
        with tenant_scope(tenant):
            held = Counter(
                Ticket.objects.filter(pk__in=ticket_ids).values_list("assignee_id", flat=True)
            )
            assert held == dict.fromkeys(agent_ids, 10)
            assert (
                TicketEvent.objects.filter(
                    ticket_id__in=ticket_ids, kind=TicketEvent.Kind.AUTO_ASSIGNED
                ).count()
                == 50
            )
    finally:
        _cleanup(tenant, [queue_id], agent_ids)


def test_two_queues_racing_for_the_same_agents_never_exceed_their_capacity(alpha):
    tenant = alpha.tenant

    def setup():
        with tenant_scope(tenant):
            first = QueueFactory(distribution=Queue.Distribution.CAPACITY, agent_capacity=10)
            second = QueueFactory(distribution=Queue.Distribution.LEAST_BUSY, agent_capacity=10)
            agents = [UserFactory(queues=[first, second]) for _ in range(3)]
            for agent in agents:
                presence_touch(user_id=agent.pk, channel=f"test-{uuid.uuid4().hex}")
            tickets = [TicketFactory(queue=q).pk for q in (first, second) for _ in range(20)]
            return [first.pk, second.pk], [a.pk for a in agents], tickets

    queue_ids, agent_ids, ticket_ids = _in_thread(setup)
    try:
        chosen = _distribute_all(tenant, ticket_ids)

        given = Counter(pk for pk in chosen if pk is not None)
        assert given == dict.fromkeys(agent_ids, 10)  # 30 places for 40 tickets
        assert chosen.count(None) == 10
    finally:
        _cleanup(tenant, queue_ids, agent_ids)
