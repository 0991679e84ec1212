"""Two agents accept the same pending ticket at the same moment: exactly one wins.

The racing work runs in real threads with their own committed connections; everything created
is deleted at the end.
"""

import threading

from django.db import connection as db_connection

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import host_api_client, sign_in_api
from tenants.tenancy import tenant_scope
from tickets.errors import TicketAlreadyAccepted
from tickets.models import Queue, Ticket, TicketEvent
from tickets.services.tickets import ticket_accept
from tickets.tests.factories import QueueFactory, TicketFactory


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


def _race(targets):
    barrier = threading.Barrier(len(targets))
    outcomes = [None] * len(targets)

    def run(i):
        try:
            barrier.wait()
            outcomes[i] = targets[i]()
        except Exception as exc:  # the loser's error is the outcome under test
            outcomes[i] = exc
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _setup(tenant):
    def create():
        with tenant_scope(tenant):
            queue = QueueFactory()
            first, second = UserFactory(queues=[queue]), UserFactory(queues=[queue])
            ticket = TicketFactory(queue=queue)
            return ticket.pk, first.pk, second.pk, queue.pk

    return _in_thread(create)


def _cleanup(tenant, ticket_id, user_ids, queue_id):
    def clean():
        with tenant_scope(tenant):
            ticket = Ticket.objects.get(pk=ticket_id)
            TicketEvent.objects.filter(ticket=ticket).delete()
            ticket.delete()
            ticket.contact.delete()
            ticket.connection.delete()
            Queue.objects.filter(pk=queue_id).delete()
            User.objects.filter(pk__in=user_ids).delete()

    _in_thread(clean)


def test_of_two_simultaneous_accepts_exactly_one_wins(alpha):
    tenant = alpha.tenant
    ticket_id, first_id, second_id, queue_id = _setup(tenant)

    def accept(user_id):
        def run():
            with tenant_scope(tenant):
                ticket = Ticket.objects.get(pk=ticket_id)
                ticket_accept(ticket=ticket, by=User.objects.get(pk=user_id))
                return user_id

        return run

    def read():
        with tenant_scope(tenant):
            ticket = Ticket.objects.get(pk=ticket_id)
            accepted = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.ACCEPTED)
            return ticket.status, ticket.assignee_id, accepted.count()

    try:
        outcomes = _race([accept(first_id), accept(second_id)])
        status, assignee_id, accepted_events = _in_thread(read)
    finally:
        _cleanup(tenant, ticket_id, [first_id, second_id], queue_id)

    winners = [o for o in outcomes if isinstance(o, int)]
    losers = [o for o in outcomes if isinstance(o, TicketAlreadyAccepted)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    assert (status, assignee_id, accepted_events) == (Ticket.Status.OPEN, winners[0], 1)


def test_of_two_simultaneous_http_accepts_one_gets_200_and_the_other_409(alpha):
    tenant = alpha.tenant
    ticket_id, first_id, second_id, queue_id = _setup(tenant)

    def public_id_and_emails():
        with tenant_scope(tenant):
            users = User.objects.filter(pk__in=[first_id, second_id]).order_by("pk")
            return (
                Ticket.objects.get(pk=ticket_id).public_id,
                [user.email for user in users],
            )

    public_id, emails = _in_thread(public_id_and_emails)

    def client_for(email):
        return sign_in_api(host_api_client(alpha.host), email)

    clients = [_in_thread(lambda e=email: client_for(e)) for email in emails]

    def accept(api):
        return lambda: api.post(f"/api/v1/tickets/{public_id}/accept/").status_code

    try:
        outcomes = _race([accept(clients[0]), accept(clients[1])])
    finally:
        _cleanup(tenant, ticket_id, [first_id, second_id], queue_id)

    assert sorted(outcomes) == [200, 409], outcomes
