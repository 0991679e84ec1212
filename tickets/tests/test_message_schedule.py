"""Scheduled messages are dispatched once when due, even with two workers; cancellable before."""

import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from channels_integrations.models import OutboundDelivery
from core.exceptions import ApplicationError
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket, TicketEvent
from tickets.services.messages import (
    message_dispatch,
    message_schedule_cancel,
    message_send,
    messages_scheduled_dispatch_due,
)
from tickets.tasks import messages_scheduled_dispatch_task
from tickets.tests.factories import TicketFactory


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


@pytest.fixture
def agent(in_alpha):
    return UserFactory()


@pytest.fixture
def ticket(agent):
    return TicketFactory(status=Ticket.Status.OPEN, assignee=agent, answered=False)


def _schedule(ticket, agent, minutes=10, body="lembrete"):
    return message_send(
        ticket=ticket, by=agent, body=body, scheduled_at=timezone.now() + timedelta(minutes=minutes)
    )


def test_only_due_messages_are_dispatched_and_only_once(ticket, agent):
    due = _schedule(ticket, agent, minutes=1)
    later = _schedule(ticket, agent, minutes=60)
    at = timezone.now() + timedelta(minutes=5)

    first = messages_scheduled_dispatch_due(now=at)
    second = messages_scheduled_dispatch_due(now=at)

    due.refresh_from_db()
    later.refresh_from_db()
    assert (first, second) == (1, 0)
    assert due.dispatched_at is not None
    assert later.dispatched_at is None
    ticket.refresh_from_db()
    assert ticket.answered is True
    assert ticket.last_message_preview == "lembrete"


def test_message_dispatch_hands_a_message_over_once(ticket, agent):
    message = message_send(ticket=ticket, by=agent, body="agora")

    assert message_dispatch(message) is True
    assert message_dispatch(Message.objects.get(pk=message.pk)) is False


def test_the_task_dispatches_in_the_tenant_it_runs_in(ticket, agent):
    message = _schedule(ticket, agent)
    Message.objects.filter(pk=message.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))

    assert messages_scheduled_dispatch_task.apply().get() == 1


def test_a_late_message_on_a_closed_ticket_is_marked_failed_not_sent(ticket, agent):
    message = _schedule(ticket, agent, minutes=1)
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.CLOSED, closed_at=timezone.now()
    )

    assert messages_scheduled_dispatch_due(now=timezone.now() + timedelta(minutes=2)) == 0

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.error_code == "ticket_not_open"
    assert message.dispatched_at is None


def test_a_cancelled_message_is_never_dispatched(ticket, agent):
    message = _schedule(ticket, agent, minutes=1)

    message_schedule_cancel(message=message, by=agent)

    assert messages_scheduled_dispatch_due(now=timezone.now() + timedelta(minutes=2)) == 0
    message.refresh_from_db()
    assert message.deleted_at is not None
    assert message.dispatched_at is None


def test_cancel_after_dispatch_is_refused(ticket, agent):
    message = _schedule(ticket, agent, minutes=1)
    messages_scheduled_dispatch_due(now=timezone.now() + timedelta(minutes=2))

    with pytest.raises(ApplicationError) as exc:
        message_schedule_cancel(message=message, by=agent)

    assert (exc.value.code, exc.value.http_status) == ("already_dispatched", 409)


def test_cancelling_a_message_that_is_not_scheduled_is_refused(ticket, agent):
    message = message_send(ticket=ticket, by=agent, body="agora")

    with pytest.raises(ApplicationError) as exc:
        message_schedule_cancel(message=message, by=agent)

    assert exc.value.code == "message_not_scheduled"


def _run_threads(count, target):
    errors, results = [], []

    def wrapped():
        try:
            results.append(target())
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=wrapped) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_two_workers_at_once_dispatch_each_due_message_exactly_once(alpha):
    tenant = alpha.tenant

    def setup():
        with tenant_scope(tenant):
            agent = UserFactory()
            ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)
            for i in range(10):
                _schedule(ticket, agent, minutes=1, body=f"m{i}")
            return ticket.pk, agent.pk

    ticket_id, agent_id = _run_threads(1, setup)[0]
    later = timezone.now() + timedelta(minutes=2)

    def worker():
        with tenant_scope(tenant):
            return messages_scheduled_dispatch_due(now=later)

    def read_and_clean():
        with tenant_scope(tenant):
            ticket = Ticket.objects.get(pk=ticket_id)
            dispatched = Message.objects.filter(ticket=ticket, dispatched_at__isnull=False).count()
            # Dispatching handed each message to the outbound pipeline (protected rows).
            OutboundDelivery.objects.filter(message__ticket=ticket).delete()
            Message.objects.filter(ticket=ticket).delete()
            TicketEvent.objects.filter(ticket=ticket).delete()
            ticket.delete()
            ticket.contact.delete()
            ticket.connection.delete()
            from accounts.models import User

            User.objects.filter(pk=agent_id).delete()
            return dispatched

    try:
        counts = _run_threads(2, worker)
    finally:
        dispatched = _run_threads(1, read_and_clean)[0]

    assert sum(counts) == 10
    assert dispatched == 10
