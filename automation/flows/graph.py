"""The graph format of a flow version, and how customers' answers are compared.

::

    {"start": "<node id>",
     "settings": {"handoff_message": str, "not_understood_message": str,
                  "step_return": "current" | "start",
                  "retry_limit": {"count": int, "action": Action} | null,
                  "inactivity": {"minutes": int, "message": str, "action": Action} | null,
                  "close_keywords": [str]},
     "nodes": [{"id": str, "name": str, "position": {"x": number, "y": number},
                "interactions": [{"id", "type": "text", "text": str, "delay_ms": int}
                                 | {"id", "type": "media", "media": "<FlowMedia public id>",
                                    "caption": str, "delay_ms": int}],
                "options": [{"id", "label": str, "answers": [str], "any": bool,
                             "action": Action}]}]}

    Action: {"type": "node", "node": "<node id>"} | {"type": "queue", "queue": <queue id>}
            | {"type": "agent", "agent": <user id>} | {"type": "close"} | {"type": "waiting"}

An option's position (1, 2, ...) is its number: the customer may answer with it or with any of
its answers. ``any`` options match every answer, a media-only one included.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

ACTION_TYPES = ("node", "queue", "agent", "close", "waiting")
# Where the retry limit and inactivity may send a ticket: out of the bot, never to a node.
HANDOFF_ACTION_TYPES = ("queue", "agent", "close", "waiting")
STEP_RETURNS = ("current", "start")
MAX_DELAY_MS = 60_000
MAX_NODES = 500
MAX_TEXT = 4096

_SPACES = re.compile(r"\s+")
# Trailing punctuation people add to an answer ("Suporte!", "2.") does not change it.
_EDGE_PUNCTUATION = ".,;:!?¿¡*_~\"'()[]"


def answer_normalise(text: str) -> str:
    """Lower case, accents removed, spaces collapsed, surrounding punctuation stripped."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _SPACES.sub(" ", folded).strip().strip(_EDGE_PUNCTUATION).strip()


def default_settings() -> dict[str, Any]:
    return {
        "handoff_message": "",
        "not_understood_message": "",
        "step_return": "current",
        "retry_limit": None,
        "inactivity": None,
        "close_keywords": [],
    }


def graph_empty(first_node_name: str) -> dict[str, Any]:
    """The graph of a new flow: one empty node, which is the start."""
    return {
        "start": "node-1",
        "settings": default_settings(),
        "nodes": [
            {
                "id": "node-1",
                "name": first_node_name,
                "position": {"x": 40, "y": 40},
                "interactions": [],
                "options": [],
            }
        ],
    }


def nodes_by_id(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(node.get("id")): node for node in graph.get("nodes") or [] if isinstance(node, dict)
    }


def graph_references(graph: dict[str, Any]) -> dict[str, set[Any]]:
    """The queue ids, agent ids and media ids a graph names (to check they exist)."""
    found: dict[str, set[Any]] = {"queue": set(), "agent": set(), "media": set()}

    def scalar(value: Any) -> bool:
        return isinstance(value, str | int) and not isinstance(value, bool)

    def action(value: Any) -> None:
        kind = value.get("type") if isinstance(value, dict) else None
        if kind in ("queue", "agent") and scalar(value.get(kind)):
            found[value["type"]].add(value[value["type"]])

    settings = graph.get("settings") if isinstance(graph, dict) else None
    if isinstance(settings, dict):
        for key in ("retry_limit", "inactivity"):
            if isinstance(settings.get(key), dict):
                action(settings[key].get("action"))
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, dict):
            continue
        options, interactions = node.get("options"), node.get("interactions")
        for option in options if isinstance(options, list) else []:
            if isinstance(option, dict):
                action(option.get("action"))
        for interaction in interactions if isinstance(interactions, list) else []:
            if not isinstance(interaction, dict):
                continue
            media = interaction.get("media")
            if interaction.get("type") == "media" and scalar(media):
                found["media"].add(media)
    return found
