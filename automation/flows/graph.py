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

    def action(value: Any) -> None:
        if isinstance(value, dict) and value.get("type") in ("queue", "agent"):
            found[value["type"]].add(value.get(value["type"]))

    settings = graph.get("settings") if isinstance(graph, dict) else None
    if isinstance(settings, dict):
        for key in ("retry_limit", "inactivity"):
            if isinstance(settings.get(key), dict):
                action(settings[key].get("action"))
    for node in (graph.get("nodes") if isinstance(graph, dict) else None) or []:
        if not isinstance(node, dict):
            continue
        for option in node.get("options") or []:
            if isinstance(option, dict):
                action(option.get("action"))
        for interaction in node.get("interactions") or []:
            if isinstance(interaction, dict) and interaction.get("type") == "media":
                found["media"].add(interaction.get("media"))
    return found
