"""Saving a flow validates the whole graph server-side; each problem names its node and field,
and nothing is stored."""

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from automation.errors import FlowInvalid
from automation.models import FlowVersion
from automation.services.flows import flow_create, flow_graph_save, flow_graph_validate
from automation.tests.support import make_flow, menu_graph, node, option
from tenants.tenancy import tenant_scope
from tickets.tests.factories import QueueFactory


@pytest.fixture
def queues(alpha):
    with tenant_scope(alpha.tenant):
        yield QueueFactory(name="Vendas"), QueueFactory(name="Suporte")


def _problems(graph):
    return {(e.node, e.field, e.code) for e in flow_graph_validate(graph=graph)}


def test_a_valid_graph_has_no_problems(queues):
    sales, support = queues
    assert _problems(menu_graph(sales_queue=sales.pk, support_queue=support.pk)) == set()


def test_dangling_targets_unreachable_nodes_and_a_missing_start_are_reported(queues):
    sales, support = queues
    graph = menu_graph(sales_queue=sales.pk, support_queue=support.pk)
    graph["nodes"][1]["options"][1]["action"] = {"type": "node", "node": "deleted-node"}
    graph["nodes"].append(node("orphan", "Órfão", "ninguém chega aqui"))

    assert _problems(graph) == {
        ("sup", "options[1].action.node", "target_missing"),
        ("orphan", "id", "node_unreachable"),
    }
    graph["start"] = "nowhere"
    assert (None, "start", "start_missing") in _problems(graph)


def test_empty_answers_texts_and_duplicates_are_reported_on_their_field(queues):
    sales, support = queues
    graph = menu_graph(sales_queue=sales.pk, support_queue=support.pk)
    menu = graph["nodes"][0]
    menu["options"][0]["answers"] = []
    menu["options"][2]["answers"] = ["Suporte Técnico"]  # the same as option 2, accents aside
    menu["interactions"][0]["text"] = "  "
    menu["name"] = ""

    assert _problems(graph) == {
        ("menu", "options[0].answers", "answers_empty"),
        ("menu", "options[2].answers", "answer_duplicate"),
        ("menu", "interactions[0].text", "required"),
        ("menu", "name", "required"),
    }


def test_a_queue_of_another_tenant_a_deleted_one_and_an_inactive_agent_are_refused(
    alpha, beta, queues
):
    sales, support = queues
    with tenant_scope(beta.tenant):
        foreign = QueueFactory(name="Fila do beta")
    with tenant_scope(alpha.tenant):
        gone = QueueFactory(name="Apagada")
        gone_id = gone.pk
        gone.delete()
        inactive = UserFactory(is_active=False)
        graph = menu_graph(sales_queue=foreign.pk + 1000, support_queue=support.pk)
        graph["nodes"][0]["options"][0]["action"] = {"type": "queue", "queue": foreign.pk + 500}
        graph["nodes"][0]["options"][2]["action"] = {"type": "agent", "agent": inactive.pk}
        graph["nodes"][1]["options"][0]["action"] = {"type": "queue", "queue": gone_id}
        graph["settings"]["retry_limit"]["action"] = {"type": "queue", "queue": foreign.pk + 1000}

        assert _problems(graph) == {
            ("menu", "options[0].action.queue", "queue_missing"),
            ("menu", "options[2].action.agent", "agent_missing"),
            ("sup", "options[0].action.queue", "queue_missing"),
            (None, "settings.retry_limit.action.queue", "queue_missing"),
        }


def test_an_empty_or_bad_inactivity_rule_is_refused_at_save(queues):
    sales, support = queues
    for rule, field in [
        (
            {"minutes": None, "message": "x", "action": {"type": "waiting"}},
            "settings.inactivity.minutes",
        ),
        (
            {"minutes": "", "message": "x", "action": {"type": "waiting"}},
            "settings.inactivity.minutes",
        ),
        (
            {"minutes": 10, "message": "", "action": {"type": "waiting"}},
            "settings.inactivity.message",
        ),
        (
            {"minutes": 10, "message": "x", "action": {"type": "node", "node": "menu"}},
            "settings.inactivity.action",
        ),
    ]:
        graph = menu_graph(sales_queue=sales.pk, support_queue=support.pk, inactivity=rule)
        assert field in {f for _, f, _ in _problems(graph)}, rule


def test_an_invalid_save_stores_nothing_and_says_where(queues):
    sales, support = queues
    admin = AdminFactory()
    flow = make_flow(admin, menu_graph(sales_queue=sales.pk, support_queue=support.pk))
    bad = menu_graph(sales_queue=sales.pk, support_queue=support.pk)
    bad["nodes"][0]["options"].append(option("Sem resposta", [], {"type": "close"}))

    with pytest.raises(FlowInvalid) as raised:
        flow_graph_save(flow=flow, by=admin, graph=bad)
    with pytest.raises(FlowInvalid):
        flow_create(by=admin, name="X", graph={"nodes": "não"})

    assert raised.value.extra["errors"] == [
        {
            "node": "menu",
            "field": "options[3].answers",
            "code": "answers_empty",
            "message": raised.value.extra["errors"][0]["message"],
        }
    ]
    assert FlowVersion.objects.filter(flow=flow).count() == 1
