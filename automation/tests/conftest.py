"""Fixtures of the automation tests: the channels fixtures (sample providers, published tasks,
media folder), agents made online through the real Redis presence, and a helper that runs the
real inbound pipeline and then the automation tasks it enqueued."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from accounts.presence import presence_touch
from channels_integrations.conftest import media_root, published, sample_providers  # noqa: F401
from channels_integrations.services.inbound import inbound_events_record
from channels_integrations.services.inbound_batches import inbound_batch_process
from channels_integrations.tasks import inbound_event_process_task
from channels_integrations.tests.sample_provider import SampleProvider
from channels_integrations.tests.support import body_of, sample_connection
from tenants.tenancy import tenant_scope

AUTOMATION_TASKS = {
    "automation.tasks.out_of_hours_notice_send_task",
    "automation.tasks.out_of_hours_notices_send_task",
    "automation.tasks.ticket_distribute_task",
    "automation.tasks.tickets_distribute_task",
    "automation.tasks.agent_backlog_distribute_task",
}


def run_automation_tasks(tasks: Any, capture: Any) -> list[tuple[str, Any]]:
    """Run (in this process, with the task's own code) the automation tasks published so far,
    and the ones those publish; returns ``(task name, result)`` in order."""
    from celery import current_app

    results = []
    seen = 0
    while seen < len(tasks):
        name, args, _schema = tasks[seen]
        seen += 1
        if name in AUTOMATION_TASKS:
            with capture(execute=True):
                results.append((name, current_app.tasks[name].apply(args=args).get()))
    return results


def receive(connection: Any, capture: Any, *raw_items: dict[str, Any]) -> None:
    """Deliver sample items through the real inbound pipeline (store, then process)."""
    items = SampleProvider().parse_inbound(body_of(*raw_items))
    with capture(execute=True):
        for event_id in inbound_events_record(connection=connection, items=items):
            inbound_event_process_task.apply(args=(event_id,))


def receive_in_batch(connection: Any, capture: Any, *raw_items: dict[str, Any]) -> None:
    """Deliver sample items through the real inbound pipeline's batch path: stored, then one
    batch of the connection (its subscribers publish one task per batch)."""
    items = SampleProvider().parse_inbound(body_of(*raw_items))
    inbound_events_record(connection=connection, items=items)
    with capture(execute=True):
        inbound_batch_process(connection_id=connection.pk)


@pytest.fixture
def online() -> Any:
    """``online(user, status="online")`` opens a socket for the user in the real Redis
    presence (inside the current tenant); the suite's Redis cleanup drops it after the test."""

    def make(user: Any, status: str = "online") -> str:
        return presence_touch(user_id=user.pk, channel=f"test-{uuid.uuid4().hex}", status=status)

    return make


@pytest.fixture
def connection(alpha: Any, sample_providers: Any, media_root: Any) -> Any:  # noqa: F811
    """The sample provider's connection of tenant alpha; the test runs inside alpha."""
    connection = sample_connection(alpha.tenant)
    with tenant_scope(alpha.tenant):
        yield connection


@pytest.fixture
def setup(connection: Any) -> tuple[Any, Any, Any, Any]:
    """An admin, the queues Vendas and Suporte, and the default flow of ``menu_graph``."""
    from accounts.tests.factories import AdminFactory
    from automation.tests.support import make_flow, menu_graph
    from tickets.tests.factories import QueueFactory

    admin: Any = AdminFactory()
    sales, support = QueueFactory(name="Vendas"), QueueFactory(name="Suporte")
    flow = make_flow(admin, menu_graph(sales_queue=sales.pk, support_queue=support.pk))
    return admin, sales, support, flow
