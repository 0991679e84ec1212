"""The original system's flow JSON ({nodeList, lineList}): the spec's example flow imports
(queues and users mapped by name), runs, and exports back; our export imports again unchanged."""

import json
from pathlib import Path

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from automation.errors import FlowImportMalformed, FlowImportUnmapped
from automation.models import Flow, FlowMedia
from automation.services.flows import flow_export, flow_import, flow_update
from automation.tests.conftest import run_automation_tasks
from automation.tests.support import bot_texts, customer_writes
from channels_integrations.tests.support import sample_connection
from tenants.tenancy import tenant_scope
from tickets.models import Message, Queue, Ticket
from tickets.tests.factories import QueueFactory

ORIGINAL = json.loads((Path(__file__).parent / "fixtures" / "provider_menu.json").read_text())
QUEUE_NAMES = {"1": "Atendimento Geral", "2": "Financeiro", "3": "Suporte Técnico"}
USER_NAMES = {"5": "vendas@rede.test", "7": "Técnico de Campo"}


@pytest.fixture
def local(alpha, media_root):
    with tenant_scope(alpha.tenant):
        queues = {name: QueueFactory(name=name) for name in QUEUE_NAMES.values()}
        users = {
            "5": UserFactory(email="vendas@rede.test"),
            "7": UserFactory(name="Técnico de Campo"),
        }
        yield AdminFactory(), queues, users


def _import(admin, *, confirm=True, data=ORIGINAL, queues=QUEUE_NAMES, users=USER_NAMES):
    return flow_import(
        by=admin,
        name="Atendimento Provedor",
        data=data,
        queue_names=queues,
        user_names=users,
        confirm=confirm,
    )


def test_the_preview_maps_ids_by_name_and_stores_nothing(local):
    admin, queues, users = local
    preview, flow = _import(admin, confirm=False)

    assert flow is None
    assert not Flow.objects.exists()
    assert preview["queues"] == {k: queues[v].pk for k, v in QUEUE_NAMES.items()}
    assert preview["users"] == {"5": users["5"].pk, "7": users["7"].pk}
    assert preview["unmapped_queues"] == preview["unmapped_users"] == []
    assert preview["problems"] == []


def test_an_unmapped_queue_is_refused_on_confirm(local):
    admin, _, _ = local
    names = dict(QUEUE_NAMES, **{"2": "Fila que não existe"})
    preview, _ = _import(admin, confirm=False, queues=names)
    assert preview["unmapped_queues"] == ["2"]
    with pytest.raises(FlowImportUnmapped) as raised:
        _import(admin, queues=names)
    assert raised.value.extra == {"queues": ["2"], "users": []}
    with pytest.raises(FlowImportMalformed):
        _import(admin, data={"nodes": []})
    assert not Flow.objects.exists()


def test_the_example_flow_imports_equivalent(local):
    admin, queues, users = local
    _, flow = _import(admin)

    graph = flow.current_version.graph
    assert graph["start"] == "nodeC"
    assert graph["settings"]["close_keywords"] == ["sair", "encerrar", "cancelar atendimento"]
    assert graph["settings"]["retry_limit"] == {
        "count": 3,
        "action": {"type": "queue", "queue": queues["Atendimento Geral"].pk},
    }
    assert graph["settings"]["inactivity"]["minutes"] == 15
    menu, support, plans = graph["nodes"]
    assert [o["action"] for o in menu["options"]] == [
        {"type": "node", "node": support["id"]},
        {"type": "queue", "queue": queues["Financeiro"].pk},
        {"type": "node", "node": plans["id"]},
        {"type": "queue", "queue": queues["Atendimento Geral"].pk},
    ]
    assert support["options"][2]["any"] is True
    assert support["options"][2]["action"] == {"type": "agent", "agent": users["7"].pk}
    media = support["interactions"][0]
    stored = FlowMedia.objects.get(public_id=media["media"])
    assert (stored.name, stored.mime, media["caption"]) == (
        "reiniciar-roteador.png",
        "image/png",
        "Como reiniciar o roteador",
    )


def test_the_imported_flow_runs(alpha, local, sample_providers, django_capture_on_commit_callbacks):
    admin, queues, _ = local
    _, flow = _import(admin)
    flow_update(flow=flow, by=admin, is_active=True, is_default=True)
    connection = sample_connection(alpha.tenant)

    for text in ("oi", "quero boleto", "1", "Não"):
        customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, text)

    ticket = Ticket.objects.get()
    texts = bot_texts(ticket)
    assert "Ana! Sou a assistente virtual" in texts[0]
    assert texts[1] == "Não entendi 🤔 Responda apenas com o número ou o nome de uma das opções."
    assert texts[2] == texts[0]
    files = Message.objects.filter(ticket=ticket, sender="bot", kind="image")
    assert [m.body for m in files] == ["Como reiniciar o roteador"]
    assert texts[3] == "Como reiniciar o roteador"
    assert texts[4].startswith("Desligue o roteador")
    assert texts[5].startswith("Perfeito, Ana! Já encaminhei seu atendimento. Protocolo ")
    assert ticket.queue == queues["Suporte Técnico"]


def _semantics(data, queue_names, user_names):
    """What the runtime reads, with queue and user ids replaced by their names."""
    nodes = {}
    for raw in data["nodeList"]:
        if raw["type"] == "configurations":
            config = raw["configurations"]
            nodes["configurations"] = (
                config["welcomeMessage"]["message"],
                config["notOptionsSelectMessage"]["message"],
                config["notOptionsSelectMessage"]["stepReturn"],
                config["maxRetryBotMessage"]["number"],
                queue_names[str(config["maxRetryBotMessage"]["destiny"])],
                config["notResponseMessage"]["time"],
                list(config["answerCloseTicket"]),
            )
        if raw["type"] != "node":
            continue
        nodes[raw["id"]] = (
            raw["name"],
            [
                (i["type"], i["data"].get("message"), i["data"].get("caption"))
                for i in raw["interactions"]
            ],
            [
                (
                    c["type"],
                    c["condition"] if c["type"] == "R" else [],
                    c["action"],
                    c.get("nextStepId"),
                    queue_names.get(str(c.get("queueId"))),
                    user_names.get(str(c.get("userIdDestination"))),
                )
                for c in raw["conditions"]
            ],
        )
    start = next(line["to"] for line in data["lineList"] if line["from"] == "start")
    return start, nodes


def test_export_gives_back_the_original_flow_and_imports_again_unchanged(local):
    admin, _, users = local
    _, flow = _import(admin)

    exported = json.loads(json.dumps(flow_export(flow=flow)))
    local_queue_names = {str(q["id"]): q["name"] for q in exported["queues"]}
    local_user_names = {str(u["id"]): u["email"] for u in exported["users"]}
    user_label = {"vendas@rede.test": "vendas@rede.test", users["7"].email: "Técnico de Campo"}
    assert _semantics(
        exported, local_queue_names, {k: user_label[v] for k, v in local_user_names.items()}
    ) == _semantics(ORIGINAL, QUEUE_NAMES, USER_NAMES)

    _, again = flow_import(
        by=admin,
        name="Outra",
        data=exported,
        queue_names=local_queue_names,
        user_names=local_user_names,
        confirm=True,
    )
    assert again.current_version.graph == flow.current_version.graph


def test_the_example_flow_end_to_end_retry_limit_then_an_online_agent_gets_it(
    alpha, local, sample_providers, online, published, django_capture_on_commit_callbacks
):
    """Menu → three answers not understood → the retry limit sends the ticket to its queue
    (Atendimento Geral, round-robin) → the queue's online agent gets it automatically; the
    member who is offline does not."""
    admin, queues, _users = local
    general = queues["Atendimento Geral"]
    general.distribution = Queue.Distribution.ROUND_ROBIN
    general.save(update_fields=["distribution"])
    carla = UserFactory(name="Carla", queues=[general])
    UserFactory(name="Davi", queues=[general])  # offline
    online(carla)
    _, flow = _import(admin)
    flow_update(flow=flow, by=admin, is_active=True, is_default=True)
    connection = sample_connection(alpha.tenant)
    capture = django_capture_on_commit_callbacks

    for text in ("oi", "banana", "123456", "quero falar"):
        customer_writes(alpha.tenant, connection, capture, text)
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        assert ticket.flow_run.end_reason == "retry_limit"
        assert ticket.queue == general
        assert ticket.assignee is None  # not yet: the distribution runs in its task
        ran = run_automation_tasks(published, capture)
        ticket.refresh_from_db()

    assert ("automation.tasks.ticket_distribute_task", carla.pk) in ran
    assert ticket.assignee == carla
    texts = bot_texts(ticket)
    not_understood = "Não entendi 🤔 Responda apenas com o número ou o nome de uma das opções."
    # The first two are repeated with the text; the third reaches the limit: the hand-over.
    assert texts.count(not_understood) == 2
    assert texts[-1].startswith("Perfeito, Ana! Já encaminhei seu atendimento. Protocolo ")
    kinds = list(ticket.events.order_by("pk").values_list("kind", "data__step"))
    assert kinds.count(("bot", "not_understood")) == 3
    assert kinds.index(("bot", "retry_limit")) < kinds.index(("auto_assigned", None))
