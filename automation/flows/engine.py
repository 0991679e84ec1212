"""The bot's decisions, without a database: given a version's graph, where a ticket stands and
what the customer wrote, what is sent, what the timeline says and where the ticket goes.

``automation.services.flow_runs`` applies these decisions to tickets; the builder's test run
(``automation.services.flows.flow_test_run``) shows them to an admin without a customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from automation.flows.graph import answer_normalise, nodes_by_id


@dataclass(frozen=True)
class RunState:
    """Where a ticket stands in a flow: the node it waits on and its consecutive invalid
    answers there."""

    node_id: str
    retries: int = 0


@dataclass
class Outcome:
    """What one step decides.

    ``state`` is where the ticket waits next (None: the bot is done with it); ``sends`` are
    the interactions to send in order (``{"type": "text" | "media", ...}``); ``steps`` the
    timeline entries; ``handoff`` the action that takes the ticket out of the bot.
    """

    state: RunState | None
    sends: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    handoff: dict[str, Any] | None = None
    end_reason: str = ""


def _settings(graph: dict[str, Any]) -> dict[str, Any]:
    settings = graph.get("settings")
    return settings if isinstance(settings, dict) else {}


def _text_send(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text, "delay_ms": 0}


def _node_sends(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(i) for i in node.get("interactions") or [] if isinstance(i, dict)]


def _enter(graph: dict[str, Any], node_id: str, steps: list[dict[str, Any]]) -> Outcome:
    node = nodes_by_id(graph).get(node_id)
    if node is None:  # a graph saved through validation always has its targets
        return Outcome(
            state=None, steps=steps, handoff={"type": "waiting"}, end_reason="handed_over"
        )
    steps.append({"step": "entered_node", "node": node_id, "node_name": node.get("name", "")})
    return Outcome(state=RunState(node_id), sends=_node_sends(node), steps=steps)


def flow_start(graph: dict[str, Any]) -> Outcome:
    """A new ticket enters the flow: the start node's interactions are sent."""
    return _enter(graph, str(graph.get("start")), [])


def _handoff(
    graph: dict[str, Any], action: dict[str, Any], steps: list[dict[str, Any]], reason: str
) -> Outcome:
    sends: list[dict[str, Any]] = []
    if action.get("type") in ("queue", "agent", "waiting"):
        text = str(_settings(graph).get("handoff_message") or "").strip()
        if text:
            sends.append(_text_send(text))
    return Outcome(state=None, sends=sends, steps=steps, handoff=dict(action), end_reason=reason)


def option_match(node: dict[str, Any], text: str) -> tuple[int, dict[str, Any]] | None:
    """The option an answer chooses: one of its answers (accents, case and surrounding
    punctuation ignored), else its number, else the first "any answer" option."""
    options = [o for o in node.get("options") or [] if isinstance(o, dict)]
    answer = answer_normalise(text)
    if answer:
        for index, option in enumerate(options):
            if not option.get("any") and answer in {
                answer_normalise(a) for a in option.get("answers") or []
            }:
                return index, option
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return int(answer) - 1, options[int(answer) - 1]
    for index, option in enumerate(options):
        if option.get("any"):
            return index, option
    return None


def flow_answer(graph: dict[str, Any], state: RunState, text: str) -> Outcome:
    """The customer answered while the ticket waits on ``state.node_id``."""
    settings = _settings(graph)
    answer = answer_normalise(text)
    keywords = {answer_normalise(k) for k in settings.get("close_keywords") or []}
    if answer and answer in keywords:
        closing = [{"step": "close_keyword", "node": state.node_id, "answer": text[:200]}]
        return Outcome(state=None, steps=closing, handoff={"type": "close"}, end_reason="closed")
    node = nodes_by_id(graph).get(state.node_id)
    match = option_match(node, text) if node is not None else None
    if match is not None:
        index, option = match
        steps: list[dict[str, Any]] = [
            {
                "step": "answer_matched",
                "node": state.node_id,
                "node_name": node.get("name", "") if node else "",
                "option": index + 1,
                "label": str(option.get("label") or ""),
                "answer": text[:200],
            }
        ]
        action = option.get("action") or {}
        if action.get("type") == "node":
            return _enter(graph, str(action.get("node")), steps)
        return _handoff(
            graph, action, steps, "closed" if action.get("type") == "close" else "handed_over"
        )
    return _not_understood(graph, state, text)


def _not_understood(graph: dict[str, Any], state: RunState, text: str) -> Outcome:
    settings = _settings(graph)
    retries = state.retries + 1
    steps: list[dict[str, Any]] = [
        {"step": "not_understood", "node": state.node_id, "answer": text[:200], "retries": retries}
    ]
    limit = settings.get("retry_limit")
    if (
        isinstance(limit, dict)
        and isinstance(limit.get("count"), int)
        and retries >= limit["count"]
    ):
        steps.append({"step": "retry_limit", "node": state.node_id, "retries": retries})
        return _handoff(graph, limit.get("action") or {"type": "waiting"}, steps, "retry_limit")
    sends: list[dict[str, Any]] = []
    message = str(settings.get("not_understood_message") or "").strip()
    if message:
        sends.append(_text_send(message))
    target = state.node_id
    if settings.get("step_return") == "start":
        target = str(graph.get("start"))
    node = nodes_by_id(graph).get(target)
    if node is None:
        return _handoff(graph, {"type": "waiting"}, steps, "handed_over")
    if target != state.node_id:
        steps.append({"step": "entered_node", "node": target, "node_name": node.get("name", "")})
    return Outcome(state=RunState(target, retries), sends=sends + _node_sends(node), steps=steps)


def flow_inactive(graph: dict[str, Any], state: RunState) -> Outcome:
    """The customer stayed silent past the inactivity rule: they are told, and the ticket goes
    to the rule's destination."""
    rule = _settings(graph).get("inactivity")
    if not isinstance(rule, dict):
        return Outcome(state=state)
    steps = [{"step": "inactivity", "node": state.node_id, "minutes": rule.get("minutes")}]
    outcome = _handoff(graph, rule.get("action") or {"type": "waiting"}, steps, "inactivity")
    outcome.sends = (
        [_text_send(str(rule.get("message") or "").strip())] if rule.get("message") else []
    )
    return outcome


def inactivity_minutes(graph: dict[str, Any]) -> int | None:
    rule = _settings(graph).get("inactivity")
    if isinstance(rule, dict) and isinstance(rule.get("minutes"), int) and rule["minutes"] > 0:
        return int(rule["minutes"])
    return None
