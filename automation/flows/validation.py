"""Server-side validation of a flow graph: every problem is reported with the node and the
field it concerns, so the builder can show it where it belongs.

Pure: the queues, agents and files that exist are passed in (``FlowReferences``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from automation.flows.graph import (
    ACTION_TYPES,
    HANDOFF_ACTION_TYPES,
    MAX_DELAY_MS,
    MAX_NODES,
    MAX_TEXT,
    STEP_RETURNS,
    answer_normalise,
)


@dataclass(frozen=True)
class FlowReferences:
    """What a graph may point to in the current tenant: active queue ids, active agent ids
    and the public ids (strings) of its flow files."""

    queue_ids: frozenset[int] = frozenset()
    agent_ids: frozenset[int] = frozenset()
    media_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GraphError:
    """One problem: ``node`` is the node id (None for the flow's settings or its start)."""

    node: str | None
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node, "field": self.field, "code": self.code, "message": self.message}


@dataclass
class _Collector:
    errors: list[GraphError] = field(default_factory=list)

    def add(self, node: str | None, where: str, code: str, message: str) -> None:
        self.errors.append(GraphError(node, where, code, message))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _check_action(
    out: _Collector,
    node: str | None,
    where: str,
    action: Any,
    *,
    allowed: Collection[str],
    node_ids: set[str],
    refs: FlowReferences,
) -> None:
    if not isinstance(action, dict) or action.get("type") not in allowed:
        out.add(node, where, "action_invalid", _("Choose what happens with this answer."))
        return
    kind = action["type"]
    if kind == "node":
        if action.get("node") not in node_ids:
            out.add(node, f"{where}.node", "target_missing", _("The target step does not exist."))
    elif kind == "queue":
        if _int(action.get("queue")) not in refs.queue_ids:
            out.add(
                node,
                f"{where}.queue",
                "queue_missing",
                _("The queue does not exist or is not active."),
            )
    elif kind == "agent" and _int(action.get("agent")) not in refs.agent_ids:
        out.add(
            node, f"{where}.agent", "agent_missing", _("The agent does not exist or is not active.")
        )


def _check_settings(
    out: _Collector, settings: Any, node_ids: set[str], refs: FlowReferences
) -> None:
    if not isinstance(settings, dict):
        out.add(None, "settings", "settings_invalid", _("The flow's settings are missing."))
        return
    for key in ("handoff_message", "not_understood_message"):
        if not isinstance(settings.get(key, ""), str) or len(settings.get(key, "")) > MAX_TEXT:
            out.add(
                None, f"settings.{key}", "text_invalid", _("Enter a text of up to 4096 characters.")
            )
    if settings.get("step_return", "current") not in STEP_RETURNS:
        out.add(
            None,
            "settings.step_return",
            "choice_invalid",
            _("Choose where an invalid answer returns to."),
        )
    keywords = settings.get("close_keywords", [])
    if not isinstance(keywords, list) or not all(
        isinstance(k, str) and answer_normalise(k) for k in keywords
    ):
        out.add(
            None, "settings.close_keywords", "answers_invalid", _("Close keywords cannot be empty.")
        )
    retry = settings.get("retry_limit")
    if retry is not None:
        count = _int(retry.get("count")) if isinstance(retry, dict) else None
        if count is None or not 1 <= count <= 20:
            out.add(
                None,
                "settings.retry_limit.count",
                "number_invalid",
                _("Enter a number of attempts from 1 to 20."),
            )
        _check_action(
            out,
            None,
            "settings.retry_limit.action",
            retry.get("action") if isinstance(retry, dict) else None,
            allowed=HANDOFF_ACTION_TYPES,
            node_ids=node_ids,
            refs=refs,
        )
    inactivity = settings.get("inactivity")
    if inactivity is not None:
        minutes = _int(inactivity.get("minutes")) if isinstance(inactivity, dict) else None
        if minutes is None or not 1 <= minutes <= 10_080:
            out.add(
                None,
                "settings.inactivity.minutes",
                "number_invalid",
                _("Enter a number of minutes from 1 to 10080."),
            )
        message = _text(inactivity.get("message")) if isinstance(inactivity, dict) else ""
        if not message:
            out.add(
                None,
                "settings.inactivity.message",
                "required",
                _("Say what the customer is told when the bot moves a silent ticket."),
            )
        _check_action(
            out,
            None,
            "settings.inactivity.action",
            inactivity.get("action") if isinstance(inactivity, dict) else None,
            allowed=HANDOFF_ACTION_TYPES,
            node_ids=node_ids,
            refs=refs,
        )


def _check_interactions(
    out: _Collector, node_id: str, node: dict[str, Any], refs: FlowReferences
) -> None:
    interactions = node.get("interactions", [])
    if not isinstance(interactions, list):
        out.add(node_id, "interactions", "list_invalid", _("Interactions must be a list."))
        return
    for index, interaction in enumerate(interactions):
        where = f"interactions[{index}]"
        if not isinstance(interaction, dict) or interaction.get("type") not in ("text", "media"):
            out.add(node_id, f"{where}.type", "interaction_invalid", _("Unknown interaction."))
            continue
        delay = interaction.get("delay_ms", 0)
        if _int(delay) is None or not 0 <= delay <= MAX_DELAY_MS:
            out.add(
                node_id,
                f"{where}.delay_ms",
                "number_invalid",
                _("Enter a delay from 0 to 60000 milliseconds."),
            )
        if interaction["type"] == "text":
            text = _text(interaction.get("text"))
            if not text or len(text) > MAX_TEXT:
                out.add(
                    node_id,
                    f"{where}.text",
                    "required",
                    _("Enter the message (up to 4096 characters)."),
                )
        else:
            if str(interaction.get("media") or "") not in refs.media_ids:
                out.add(
                    node_id,
                    f"{where}.media",
                    "media_missing",
                    _("Upload the file this interaction sends."),
                )
            if not isinstance(interaction.get("caption", ""), str):
                out.add(node_id, f"{where}.caption", "text_invalid", _("The caption must be text."))


def _check_options(
    out: _Collector, node_id: str, node: dict[str, Any], node_ids: set[str], refs: FlowReferences
) -> list[str]:
    """Check the node's options; returns the nodes they lead to."""
    options = node.get("options", [])
    targets: list[str] = []
    if not isinstance(options, list):
        out.add(node_id, "options", "list_invalid", _("Options must be a list."))
        return targets
    seen: dict[str, int] = {}
    for index, option in enumerate(options):
        where = f"options[{index}]"
        if not isinstance(option, dict):
            out.add(node_id, where, "option_invalid", _("Unknown option."))
            continue
        answers = option.get("answers", [])
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            out.add(
                node_id,
                f"{where}.answers",
                "answers_invalid",
                _("Answers must be a list of texts."),
            )
            answers = []
        normalised = [answer_normalise(a) for a in answers]
        if not option.get("any") and (not normalised or not all(normalised)):
            out.add(
                node_id,
                f"{where}.answers",
                "answers_empty",
                _("Enter at least one answer, and no empty ones."),
            )
        for answer in normalised:
            if answer and answer in seen and seen[answer] != index:
                out.add(
                    node_id,
                    f"{where}.answers",
                    "answer_duplicate",
                    _("Another option of this step already has the answer “%(answer)s”.")
                    % {"answer": answer},
                )
            seen.setdefault(answer, index)
        action = option.get("action")
        _check_action(
            out,
            node_id,
            f"{where}.action",
            action,
            allowed=ACTION_TYPES,
            node_ids=node_ids,
            refs=refs,
        )
        if (
            isinstance(action, dict)
            and action.get("type") == "node"
            and action.get("node") in node_ids
        ):
            targets.append(str(action["node"]))
    return targets


def flow_graph_errors(graph: Any, refs: FlowReferences) -> list[GraphError]:
    """Every problem of ``graph`` (empty when it can be saved)."""
    out = _Collector()
    if not isinstance(graph, dict):
        out.add(None, "graph", "graph_invalid", _("The flow must be an object."))
        return out.errors
    nodes = graph.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        out.add(None, "nodes", "nodes_empty", _("A flow needs at least one step."))
        return out.errors
    if len(nodes) > MAX_NODES:
        out.add(None, "nodes", "too_many_nodes", _("A flow may have up to 500 steps."))
        return out.errors
    node_ids: set[str] = set()
    valid_nodes: list[tuple[str, dict[str, Any]]] = []
    for index, node in enumerate(nodes):
        node_id = node.get("id") if isinstance(node, dict) else None
        if not isinstance(node_id, str) or not node_id.strip() or len(node_id) > 64:
            out.add(None, f"nodes[{index}].id", "node_id_invalid", _("Every step needs an id."))
            continue
        if node_id in node_ids:
            out.add(node_id, "id", "node_id_duplicate", _("Two steps have the same id."))
            continue
        node_ids.add(node_id)
        valid_nodes.append((node_id, node))
    start = graph.get("start")
    if start not in node_ids:
        out.add(None, "start", "start_missing", _("Choose the step the flow starts with."))
    _check_settings(out, graph.get("settings"), node_ids, refs)
    edges: dict[str, list[str]] = {}
    for node_id, node in valid_nodes:
        if not _text(node.get("name")):
            out.add(node_id, "name", "required", _("Give the step a name."))
        _check_interactions(out, node_id, node, refs)
        edges[node_id] = _check_options(out, node_id, node, node_ids, refs)
    if start in node_ids:
        reached = {start}
        pending = deque([start])
        while pending:
            for target in edges.get(pending.popleft(), []):
                if target not in reached:
                    reached.add(target)
                    pending.append(target)
        for node_id, _node in valid_nodes:
            if node_id not in reached:
                out.add(node_id, "id", "node_unreachable", _("No answer leads to this step."))
    return out.errors
