"""The inactivity beat job as it runs: the fan-out enqueues one task per tenant, each in its
schema. A silent ticket of a flow attached through its connection (not the tenant default) is
moved on and the customer told; a run whose stored version cannot be read fails alone, in its
own tenant, and breaks nobody else's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import current_app
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from automation.models import FlowRun, FlowVersion
from automation.tests.support import after_commit, bot_texts, customer_writes, make_flow, menu_graph
from channels_integrations.tests.support import sample_connection
from tenants.models import Tenant
from tenants.tasks import tenants_fan_out_task
from tenants.tenancy import public_scope, tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory

TASK = "automation.tasks.flow_runs_inactive_task"
SILENCE = "Sem resposta: passei para a equipe."


def _flow_with_inactivity(connection, *, attached: bool):
    admin: Any = AdminFactory()
    sales, support = QueueFactory(name="Vendas"), QueueFactory(name="Suporte")
    inactivity = {
        "minutes": 15,
        "message": SILENCE,
        "action": {"type": "queue", "queue": support.pk},
    }
    graph = menu_graph(sales_queue=sales.pk, support_queue=support.pk, inactivity=inactivity)
    if attached:
        make_flow(admin, graph, is_default=False, connection_ids=[str(connection.public_id)])
    else:
        make_flow(admin, graph)
    return support


def test_the_fan_out_moves_a_connection_flows_silent_ticket_and_a_broken_run_stops_no_one(
    alpha, beta, sample_providers, media_root, published, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    at_alpha, at_beta = sample_connection(alpha.tenant), sample_connection(beta.tenant)
    with tenant_scope(alpha.tenant):
        support = _flow_with_inactivity(at_alpha, attached=True)
    with tenant_scope(beta.tenant):
        _flow_with_inactivity(at_beta, attached=False)
    customer_writes(alpha.tenant, at_alpha, capture, "oi")
    customer_writes(beta.tenant, at_beta, capture, "oi")
    past = timezone.now() - timedelta(minutes=1)
    for tenant in (alpha.tenant, beta.tenant):
        with tenant_scope(tenant):
            FlowRun.objects.update(inactive_at=past)  # silent for longer than the rule
    with tenant_scope(beta.tenant):
        FlowVersion.objects.update(graph=["not", "a", "graph"])  # a row broken by hand
    published.clear()

    with public_scope():
        assert tenants_fan_out_task.apply(args=(TASK,)).get() >= 2
    moved: dict[str, int] = {}
    for name, args, schema in list(published):
        if name != TASK or schema not in (alpha.tenant.schema_name, beta.tenant.schema_name):
            continue
        with public_scope():
            tenant = Tenant.objects.get(schema_name=schema)
        after_commit(
            tenant,
            capture,
            lambda schema=schema, args=args: moved.__setitem__(
                schema, current_app.tasks[TASK].apply(args=args).get()
            ),
        )

    assert moved == {alpha.tenant.schema_name: 1, beta.tenant.schema_name: 0}
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        assert ticket.queue == support
        assert ticket.flow_run.end_reason == "inactivity"
        assert bot_texts(ticket)[-1] == SILENCE
    with tenant_scope(beta.tenant):
        assert FlowRun.objects.get().ended_at is None  # left for a person to look at
