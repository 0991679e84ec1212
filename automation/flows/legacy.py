"""Conversion between our graph (``automation.flows.graph``) and the original system's flow
JSON (``{nodeList, lineList}``: a ``start`` node whose line names the first step, a
``configurations`` node, and ``node`` steps with ``MessageField``/``MediaField`` interactions and
``R``/``US`` conditions whose ``action`` is 0 (step), 1 (queue) or 2 (user)).

Pure: the caller maps the original queue and user ids to local ones (by name) beforehand.
What the original cannot express (an option that closes the ticket or leaves it waiting) is
exported as action 1 without a queue plus a ``tiktickets_action`` key this importer reads back.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from automation.errors import FlowImportMalformed
from automation.flows.graph import default_settings

_PX = re.compile(r"^\s*(-?\d+(?:\.\d+)?)")


def _px(value: Any) -> int:
    match = _PX.match(str(value or "0"))
    return int(float(match.group(1))) if match else 0


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "", False) else None
    except (TypeError, ValueError):
        return None


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class _Mapper:
    """Original queue/user id -> local id; an id mapped to None on purpose ("none") makes its
    actions leave the ticket waiting for an agent, an id not mapped leaves the target empty."""

    def __init__(self, queues: Mapping[str, int | None], users: Mapping[str, int | None]) -> None:
        self.queues, self.users = queues, users
        self.needed: dict[str, list[str]] = {"queues": [], "users": []}

    def target(self, kind: str, original: Any) -> dict[str, Any]:
        key = str(_int_or_none(original)) if _int_or_none(original) is not None else ""
        plural, mapped = ("queues", self.queues) if kind == "queue" else ("users", self.users)
        if key and key not in self.needed[plural]:
            self.needed[plural].append(key)
        if key and key in mapped and mapped[key] is None:
            return {"type": "waiting"}
        return {"type": kind, kind: mapped.get(key)}

    def destiny(self, kind: Any, destiny: Any) -> dict[str, Any]:
        if _int_or_none(destiny) is None:
            return {"type": "waiting"}
        return self.target("agent" if str(kind) == "2" else "queue", destiny)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _settings_import(config: dict[str, Any], mapper: _Mapper) -> dict[str, Any]:
    settings = default_settings()
    handoff = str(_dict(config.get("welcomeMessage")).get("message") or "")
    not_understood = _dict(config.get("notOptionsSelectMessage"))
    settings["handoff_message"] = handoff
    settings["not_understood_message"] = str(not_understood.get("message") or "")
    settings["step_return"] = "start" if not_understood.get("stepReturn") == "S" else "current"
    retry = _dict(config.get("maxRetryBotMessage"))
    if _int_or_none(retry.get("number")):
        settings["retry_limit"] = {
            "count": _int_or_none(retry.get("number")),
            "action": mapper.destiny(retry.get("type"), retry.get("destiny")),
        }
    silence = _dict(config.get("notResponseMessage"))
    if _int_or_none(silence.get("time")) and _int_or_none(silence.get("destiny")) is not None:
        settings["inactivity"] = {
            "minutes": _int_or_none(silence.get("time")),
            # The original told the customer nothing; the hand-over text says what happened.
            "message": handoff
            or _("We have not heard from you, so your conversation was passed to our team."),
            "action": mapper.destiny(silence.get("type"), silence.get("destiny")),
        }
    keywords = config.get("answerCloseTicket")
    keywords = keywords if isinstance(keywords, list) else []
    settings["close_keywords"] = [str(k) for k in keywords if str(k).strip()]
    return settings


def _interaction_import(raw: dict[str, Any]) -> dict[str, Any] | None:
    data = _dict(raw.get("data"))
    kind = raw.get("type")
    ident = str(raw.get("id") or uuid.uuid4())
    delay = _int_or_none(data.get("delay")) or 0
    if kind in ("MessageField", "MessageOptionsField"):
        return {
            "id": ident,
            "type": "text",
            "text": str(data.get("message") or ""),
            "delay_ms": delay,
        }
    if kind == "MediaField":
        media_url = str(data.get("mediaUrl") or "").rsplit("/", 1)[-1]
        interaction = {
            "id": ident,
            "type": "media",
            "media": media_url if _is_uuid(media_url) else "",
            "caption": str(data.get("caption") or ""),
            "delay_ms": delay,
            "file_name": str(data.get("name") or data.get("fileName") or media_url or "file"),
            "mime": str(data.get("type") or ""),
        }
        if data.get("media"):
            interaction["file_base64"] = str(data["media"])
        return interaction
    return None


def _label(answers: list[str]) -> str:
    words = [a for a in answers if not a.strip().isdigit()]
    return (words or answers or [""])[0].strip()[:80]


def _option_import(raw: dict[str, Any], mapper: _Mapper) -> dict[str, Any]:
    condition = raw.get("condition")
    answers = [str(a) for a in condition if str(a).strip()] if isinstance(condition, list) else []
    special = raw.get("tiktickets_action")
    action_code = str(raw.get("action"))
    if special in ("close", "waiting"):
        action: dict[str, Any] = {"type": special}
    elif action_code == "0":
        target = raw.get("nextStepId") or raw.get("nextNode") or raw.get("target")
        action = {"type": "node", "node": str(target or "")}
    elif action_code == "1":
        action = mapper.target("queue", raw.get("queueId"))
    elif action_code == "2":
        action = mapper.target("agent", raw.get("userIdDestination"))
    else:
        action = {}
    return {
        "id": str(raw.get("id") or uuid.uuid4()),
        "label": _label(answers),
        "answers": answers,
        "any": raw.get("type") == "US",
        "action": action,
    }


def legacy_import(
    data: Any, *, queues: Mapping[str, int | None], users: Mapping[str, int | None]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Our graph of an original flow, and the original queue/user ids it needs (a missing
    mapping leaves the action's target empty, which validation reports)."""
    if not isinstance(data, dict) or not isinstance(data.get("nodeList"), list):
        raise FlowImportMalformed()
    raw_lines = data.get("lineList")
    lines: list[Any] = raw_lines if isinstance(raw_lines, list) else []
    mapper = _Mapper(queues, users)
    start = next(
        (
            str(line.get("to"))
            for line in lines
            if isinstance(line, dict) and line.get("from") == "start"
        ),
        None,
    )
    settings = default_settings()
    nodes: list[dict[str, Any]] = []
    for raw in data["nodeList"]:
        if not isinstance(raw, dict):
            raise FlowImportMalformed()
        if raw.get("type") == "configurations":
            settings = _settings_import(_dict(raw.get("configurations")), mapper)
        if raw.get("type") != "node":
            continue
        raw_interactions, raw_conditions = raw.get("interactions"), raw.get("conditions")
        conditions: list[Any] = raw_conditions if isinstance(raw_conditions, list) else []
        interactions = [
            i
            for i in (
                _interaction_import(x)
                for x in (raw_interactions if isinstance(raw_interactions, list) else [])
                if isinstance(x, dict)
            )
            if i
        ]
        nodes.append(
            {
                "id": str(raw.get("id") or ""),
                "name": str(raw.get("name") or ""),
                "position": {"x": _px(raw.get("left")), "y": _px(raw.get("top"))},
                "interactions": interactions,
                "options": [_option_import(c, mapper) for c in conditions if isinstance(c, dict)],
            }
        )
    return {"start": start, "settings": settings, "nodes": nodes}, mapper.needed


# --------------------------------------------------------------------------- export


def _destiny_export(action: dict[str, Any] | None) -> tuple[int, int | None]:
    if not action:
        return 1, None
    if action.get("type") == "agent":
        return 2, action.get("agent")
    if action.get("type") == "queue":
        return 1, action.get("queue")
    return 1, None


def _condition_export(option: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    action = option.get("action") or {}
    kind = str(action.get("type") or "")
    condition: dict[str, Any] = {
        "id": option.get("id"),
        "type": "US" if option.get("any") else "R",
        "condition": list(option.get("answers") or []),
        "action": {"node": 0, "queue": 1, "agent": 2}.get(kind, 1),
        "nextStepId": None,
        "nextNode": None,
        "queueId": action.get("queue") if kind == "queue" else None,
        "userIdDestination": action.get("agent") if kind == "agent" else None,
        "description": "",
    }
    if kind == "node":
        target = action.get("node")
        condition.update(
            nextStepId=target,
            nextNode=target,
            nodeId=target,
            description=_("Route to %(name)s") % {"name": names.get(str(target), "")},
        )
    if kind in ("close", "waiting"):
        condition["tiktickets_action"] = kind
    return condition


def _interaction_export(interaction: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    if interaction.get("type") == "media":
        return {
            "id": interaction.get("id"),
            "type": "MediaField",
            "data": {
                "mediaUrl": interaction.get("media") or "",
                "caption": interaction.get("caption") or "",
                "delay": interaction.get("delay_ms") or 0,
            },
        }
    return {
        "id": interaction.get("id"),
        "type": "MessageField",
        "data": {
            "message": interaction.get("text") or "",
            "options": labels,
            "delay": interaction.get("delay_ms") or 0,
        },
    }


def legacy_export(graph: dict[str, Any], *, name: str) -> dict[str, Any]:
    """The original system's JSON of our graph (what it can express; see the module doc)."""
    settings = {**default_settings(), **(graph.get("settings") or {})}
    retry = settings.get("retry_limit") or {}
    silence = settings.get("inactivity") or {}
    retry_type, retry_destiny = _destiny_export(retry.get("action"))
    silence_type, silence_destiny = _destiny_export(silence.get("action"))
    names = {str(n.get("id")): str(n.get("name") or "") for n in graph.get("nodes") or []}
    node_list: list[dict[str, Any]] = [
        {
            "id": "start",
            "nodeId": "start",
            "name": _("Start"),
            "type": "start",
            "left": "26px",
            "top": "100px",
            "conditions": [],
        },
        {
            "id": "configurations",
            "nodeId": "configurations",
            "name": _("Settings"),
            "type": "configurations",
            "left": "340px",
            "top": "100px",
            "conditions": [],
            "configurations": {
                "welcomeMessage": {"message": settings.get("handoff_message") or ""},
                "notOptionsSelectMessage": {
                    "message": settings.get("not_understood_message") or "",
                    "stepReturn": "S" if settings.get("step_return") == "start" else "A",
                },
                "notResponseMessage": {
                    "time": silence.get("minutes"),
                    "type": silence_type,
                    "destiny": silence_destiny,
                },
                "maxRetryBotMessage": {
                    "number": retry.get("count"),
                    "type": retry_type,
                    "destiny": retry_destiny,
                },
                "autoDistributeTickets": "N",
                "answerCloseTicket": list(settings.get("close_keywords") or []),
            },
        },
    ]
    lines: list[dict[str, Any]] = []
    if graph.get("start"):
        lines.append({"from": "start", "to": graph["start"], "label": ""})
    for node in graph.get("nodes") or []:
        options = node.get("options") or []
        labels = [str(o.get("label") or "") for o in options if not o.get("any")]
        conditions = [_condition_export(o, names) for o in options]
        node_list.append(
            {
                "id": node.get("id"),
                "nodeId": node.get("id"),
                "name": node.get("name"),
                "type": "node",
                "left": f"{(node.get('position') or {}).get('x', 0)}px",
                "top": f"{(node.get('position') or {}).get('y', 0)}px",
                "actions": [],
                "interactions": [
                    _interaction_export(i, labels) for i in node.get("interactions") or []
                ],
                "conditions": conditions,
            }
        )
        for condition in conditions:
            if condition["action"] == 0 and condition.get("nextStepId"):
                lines.append(
                    {
                        "from": node.get("id"),
                        "to": condition["nextStepId"],
                        "label": condition["description"],
                    }
                )
    return {"name": name, "nodeList": node_list, "lineList": lines}
