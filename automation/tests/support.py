"""Helpers of the chatbot tests: flows built through the services, customers writing through
the real inbound pipeline (signed webhook, stored event, processing task), and the bot's
replies delivered through the real outbound pipeline to the simulated provider."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import httpx
import respx

from accounts.models import User
from automation.models import Flow
from automation.services.flows import flow_create, flow_graph_save
from channels_integrations.models import OutboundDelivery
from channels_integrations.tasks import outbound_message_deliver_task
from channels_integrations.tests.sample_provider import API
from channels_integrations.tests.support import body_of, post_webhook, process_all, text_item
from tenants.tenancy import tenant_scope
from tickets.models import Message

_ids = itertools.count(1)


def node(node_id: str, name: str, *texts: str, options: list[dict[str, Any]] | None = None):
    return {
        "id": node_id,
        "name": name,
        "position": {"x": 0, "y": 0},
        "interactions": [
            {"id": f"{node_id}-i{n}", "type": "text", "text": text, "delay_ms": 0}
            for n, text in enumerate(texts)
        ],
        "options": options or [],
    }


def option(label: str, answers: list[str], action: dict[str, Any], *, any_answer=False):
    return {
        "id": f"o{next(_ids)}",
        "label": label,
        "answers": answers,
        "any": any_answer,
        "action": action,
    }


def menu_graph(*, sales_queue: int, support_queue: int, **settings: Any) -> dict[str, Any]:
    """Menu → "Vendas" (queue), "Suporte técnico" → a second menu (queue or back), "Falar com
    atendente" (waiting)."""
    graph = {
        "start": "menu",
        "settings": {
            "handoff_message": "Encaminhado, {{name}}! Protocolo {{protocol}}.",
            "not_understood_message": "Não entendi.",
            "step_return": "current",
            "retry_limit": {"count": 3, "action": {"type": "queue", "queue": support_queue}},
            "inactivity": None,
            "close_keywords": ["sair", "encerrar atendimento"],
        },
        "nodes": [
            node(
                "menu",
                "Menu",
                "Olá {{name}}! 1 Vendas 2 Suporte técnico 3 Atendente",
                options=[
                    option(
                        "Vendas", ["vendas", "comprar"], {"type": "queue", "queue": sales_queue}
                    ),
                    option("Suporte técnico", ["suporte tecnico"], {"type": "node", "node": "sup"}),
                    option("Atendente", ["atendente"], {"type": "waiting"}),
                ],
            ),
            node(
                "sup",
                "Suporte",
                "Reinicie o roteador. Voltou?",
                options=[
                    option("Não", ["nao"], {"type": "queue", "queue": support_queue}),
                    option("Menu", ["menu"], {"type": "node", "node": "menu"}),
                ],
            ),
        ],
    }
    graph["settings"].update(settings)
    return graph


def make_flow(by: User, graph: dict[str, Any], **fields: Any) -> Flow:
    fields.setdefault("is_default", True)
    return flow_create(by=by, name=fields.pop("name", "Bot"), graph=copy.deepcopy(graph), **fields)


def with_inactivity(setup: tuple[Any, Any, Any, Flow], *, minutes: int, message: str) -> None:
    """Save the ``setup`` flow's menu again with an inactivity rule: after ``minutes`` of
    silence the customer is told ``message`` and the ticket goes to the support queue."""
    admin, sales, support, flow = setup
    inactivity = {
        "minutes": minutes,
        "message": message,
        "action": {"type": "queue", "queue": support.pk},
    }
    flow_graph_save(
        flow=flow,
        by=admin,
        graph=menu_graph(sales_queue=sales.pk, support_queue=support.pk, inactivity=inactivity),
    )


def customer_writes(tenant, connection, capture, text: str, *, sender="chat-1", **extra) -> None:
    """The customer ``sender`` writes ``text`` on the sample ``connection``: a signed webhook
    is stored, then the processing task runs (for real, in this process), and everything the
    commit triggers runs too (the bot, handing its replies to the outbound pipeline)."""
    event_id = f"e{next(_ids)}"
    with tenant_scope(tenant):  # the webhook request leaves the connection in public
        response = post_webhook(connection, body_of(text_item(event_id, sender, text, **extra)))
        assert response.status_code == 200, response.content
    after_commit(tenant, capture, lambda: process_all(tenant))


def after_commit(tenant, capture, work) -> None:
    """Run ``work``, then what its commit would run, and what that runs in turn, each in the
    tenant, as a worker's committed transaction would (a callback left in public by another
    one must not run the next in public)."""
    with tenant_scope(tenant), capture() as callbacks:
        work()
    while callbacks:
        batch = list(callbacks)
        with capture() as callbacks:
            for callback in batch:
                with tenant_scope(tenant):
                    callback()


def bot_texts(ticket) -> list[str]:
    return list(
        Message.objects.filter(ticket=ticket, sender=Message.Sender.BOT)
        .order_by("pk")
        .values_list("body", flat=True)
    )


@respx.mock
def deliver_all() -> list[dict[str, Any]]:
    """Run the outbound task of every waiting delivery against the simulated provider;
    returns the bodies the provider received, in order."""
    route = respx.post(f"{API}/send").mock(
        side_effect=lambda request: httpx.Response(200, json={"id": f"p{next(_ids)}"})
    )
    for delivery_id in OutboundDelivery.objects.order_by("pk").values_list("pk", flat=True):
        outbound_message_deliver_task.apply(args=(delivery_id,))
    return [json.loads(call.request.content) for call in route.calls]
