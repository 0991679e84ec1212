"""An inbound batch publishes no out-of-hours task while the tenant has no enabled schedule,
and no distribution task while none of its active queues distributes (the task could do
nothing). The decision is read fresh for each batch of each tenant: a schedule enabled or a
queue switched to distribution counts for the next batch, and for that tenant only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accounts.tests.factories import UserFactory
from automation.models import BusinessHours, OutOfHoursNotice
from automation.tests.conftest import receive_in_batch, run_automation_tasks
from automation.tests.factories import business_hours_create
from channels_integrations.tests.support import sample_connection, text_item
from tenants.tenancy import tenant_scope
from tickets.models import Queue, Ticket
from tickets.tests.factories import QueueFactory

NOTICES = "automation.tasks.out_of_hours_notices_send_task"
DISTRIBUTION = "automation.tasks.tickets_distribute_task"
# Monday 7 December 2026, 06:00 in São Paulo (the tenants' zone): before the schedule opens.
CLOSED_AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC).timestamp()
# Every day 08:00-18:00.
DAYTIME = {day: [("08:00", "18:00")] for day in range(7)}


@pytest.fixture
def tenants(alpha, beta, sample_providers, media_root):
    """Tenant alpha and beta, each with a queue of one agent (distributing nothing) and a
    connection into it."""
    made = {}
    for fixture in (alpha, beta):
        with tenant_scope(fixture.tenant):
            queue = QueueFactory()
            agent = UserFactory(queues=[queue])
        made[fixture.tenant.schema_name] = (
            fixture,
            queue,
            agent,
            sample_connection(fixture.tenant, default_queue=queue),
        )
    return made


def _batch(fixture, connection, capture, published, tag):
    """A batch of two new customers' messages, sent while closed; the follow-up tasks it
    published (their names)."""
    published.clear()
    with tenant_scope(fixture.tenant):
        receive_in_batch(
            connection,
            capture,
            text_item(f"{tag}1", f"{tag}-chat-1", date=CLOSED_AT),
            text_item(f"{tag}2", f"{tag}-chat-2", date=CLOSED_AT),
        )
    return {name for name, _args, _schema in published}


def test_no_task_while_nothing_is_in_use_then_the_next_batch_after_a_change_gets_them(
    tenants, published, online, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    alpha, alpha_queue, alpha_agent, alpha_connection = tenants["alpha"]
    beta, _beta_queue, _beta_agent, beta_connection = tenants["beta"]

    # Nothing in use anywhere: neither task is published.
    names = _batch(alpha, alpha_connection, capture, published, "a")
    assert NOTICES not in names
    assert DISTRIBUTION not in names
    assert "campaigns.tasks.campaign_replies_record_task" in names  # the others still go

    # Alpha enables a schedule (closed now) and makes its queue distribute.
    with tenant_scope(alpha.tenant):
        business_hours_create(intervals=DAYTIME, message="Fechados, {name}.")
        Queue.objects.filter(pk=alpha_queue.pk).update(distribution=Queue.Distribution.ROUND_ROBIN)
        online(alpha_agent)

    names = _batch(alpha, alpha_connection, capture, published, "b")
    assert {NOTICES, DISTRIBUTION} <= names
    with tenant_scope(alpha.tenant):
        ran = run_automation_tasks(published, capture)
        assert {name for name, _ in ran} >= {NOTICES, DISTRIBUTION}
        # Both of the batch's new tickets got their notice and went to the online agent.
        new = list(Ticket.objects.order_by("id")[2:])  # batch "a" opened the first two
        assert [t.assignee_id for t in new] == [alpha_agent.pk, alpha_agent.pk]
        assert OutOfHoursNotice.objects.filter(ticket__in=new).count() == 2

    # Beta changed nothing: its batch still publishes neither.
    names = _batch(beta, beta_connection, capture, published, "c")
    assert NOTICES not in names
    assert DISTRIBUTION not in names

    # Alpha switches both off again: the next batch publishes neither.
    with tenant_scope(alpha.tenant):
        BusinessHours.objects.update(is_enabled=False)
        Queue.objects.update(distribution=Queue.Distribution.NONE)
    names = _batch(alpha, alpha_connection, capture, published, "d")
    assert NOTICES not in names
    assert DISTRIBUTION not in names


def test_a_queues_own_schedule_alone_is_enough_for_the_notice(
    tenants, published, django_capture_on_commit_callbacks
):
    """The tenant's schedule is off; a queue's own enabled schedule still makes the batch
    publish the notice task, and the notice is sent."""
    capture = django_capture_on_commit_callbacks
    alpha, alpha_queue, _agent, alpha_connection = tenants["alpha"]
    with tenant_scope(alpha.tenant):
        business_hours_create(intervals={}, is_enabled=False)
        business_hours_create(queue=alpha_queue, intervals=DAYTIME, message="Fila fechada.")

    names = _batch(alpha, alpha_connection, capture, published, "q")

    assert NOTICES in names
    with tenant_scope(alpha.tenant):
        run_automation_tasks(published, capture)
        assert OutOfHoursNotice.objects.count() == 2
