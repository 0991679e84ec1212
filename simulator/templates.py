"""WhatsApp message templates of the simulated Graph API, per WhatsApp Business Account.

- ``GET /<WABA-ID>/message_templates?limit=&after=``: ``{"data": [...], "paging": {"cursors":
  {"before", "after"}, "next"}}``, ``next`` only while more remain;
- ``POST /<WABA-ID>/message_templates`` ``{name, language, category, components}``: a new
  template, ``PENDING``, answered ``{"id", "status", "category"}``; a name and language that
  exist already, or a bad name, are refused with error 100;
- ``DELETE /<WABA-ID>/message_templates?name=`` (``&hsm_id=`` for one language):
  ``{"success": true}``;
- ``review()``: the control a test uses to approve, reject, pause or disable a template; it
  returns the ``message_template_status_update`` webhook body Meta would send;
- ``check_send()``: a ``type: template`` send is refused as Graph does when the template is
  unknown in that language (132001), not approved (132001/132015/132016), the parameters do
  not match its placeholders in number (132000), or a media header's parameter is not of the
  header's format or names no file (a ``link``, or the ``id`` of an upload to ``/media``)
  (132012).

https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/message_templates/
https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
https://developers.facebook.com/docs/whatsapp/business-management-api/webhooks/components
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_CATEGORIES = {"MARKETING", "UTILITY", "AUTHENTICATION"}


def graph_error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "SIMULATED",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def _count(text: Any) -> int:
    return len(set(_PLACEHOLDER.findall(str(text or ""))))


@dataclass
class TemplateCatalog:
    """The templates of every WhatsApp Business Account the simulator knows, in creation order."""

    accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    next_id: int = 700000000000001
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        waba_id: str,
        *,
        name: str,
        language: str = "pt_BR",
        category: str = "UTILITY",
        components: list[dict[str, Any]] | None = None,
        status: str = "APPROVED",
    ) -> dict[str, Any]:
        """A template as if created and reviewed earlier (test setup)."""
        with self._lock:
            template = {
                "id": str(self.next_id),
                "name": name,
                "language": language,
                "category": category,
                "status": status,
                "components": components or [{"type": "BODY", "text": name}],
                "parameter_format": "POSITIONAL",
            }
            self.next_id += 1
            self.accounts.setdefault(waba_id, []).append(template)
        return template

    def find(self, name: str, language: str) -> dict[str, Any] | None:
        with self._lock:
            for templates in self.accounts.values():
                for template in templates:
                    if template["name"] == name and template["language"] == language:
                        return template
        return None

    # ---------------------------------------------------------------- Graph endpoints

    def answer(
        self, verb: str, waba_id: str, query: dict[str, list[str]], body: dict[str, Any], url: str
    ) -> tuple[int, dict[str, Any]]:
        if verb == "GET":
            return self._list(waba_id, query, url)
        if verb == "POST":
            return self._create(waba_id, body)
        if verb == "DELETE":
            return self._delete(waba_id, query)
        return 400, graph_error(100, "Unsupported request")

    def _list(
        self, waba_id: str, query: dict[str, list[str]], url: str
    ) -> tuple[int, dict[str, Any]]:
        limit = int((query.get("limit") or ["25"])[0] or 25)
        start = int((query.get("after") or ["0"])[0] or 0)
        with self._lock:
            templates = list(self.accounts.get(waba_id, []))
        page = templates[start : start + limit]
        answer: dict[str, Any] = {"data": page}
        if page:
            after = start + len(page)
            answer["paging"] = {"cursors": {"before": str(start), "after": str(after)}}
            if after < len(templates):
                answer["paging"]["next"] = f"{url}?limit={limit}&after={after}"
        return 200, answer

    def _create(self, waba_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        name = str(body.get("name") or "")
        language = str(body.get("language") or "")
        category = str(body.get("category") or "").upper()
        components = body.get("components")
        if not _NAME.match(name):
            return 400, graph_error(
                100, "(#100) Invalid parameter: name must be lowercase letters, digits and _"
            )
        if not language or category not in _CATEGORIES or not isinstance(components, list):
            return 400, graph_error(100, "(#100) Invalid parameter")
        if not any(
            isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY" for c in components
        ):
            return 400, graph_error(100, "(#100) Invalid parameter: a BODY component is required")
        with self._lock:
            existing = self.accounts.get(waba_id, [])
            if any(t["name"] == name and t["language"] == language for t in existing):
                return 400, graph_error(
                    100, "(#100) Message template already exists in this language", 2388024
                )
            template = {
                "id": str(self.next_id),
                "name": name,
                "language": language,
                "category": category,
                "status": "PENDING",
                "components": components,
                "parameter_format": str(body.get("parameter_format") or "POSITIONAL"),
            }
            self.next_id += 1
            self.accounts.setdefault(waba_id, []).append(template)
        return 200, {"id": template["id"], "status": "PENDING", "category": category}

    def _delete(self, waba_id: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        name = (query.get("name") or [""])[0]
        hsm_id = (query.get("hsm_id") or [""])[0]
        with self._lock:
            existing = self.accounts.get(waba_id, [])
            kept = [
                t for t in existing if not (t["name"] == name and (not hsm_id or t["id"] == hsm_id))
            ]
            if len(kept) == len(existing):
                return 400, graph_error(100, "(#100) Message template not found", 2593002)
            self.accounts[waba_id] = kept
        return 200, {"success": True}

    # ---------------------------------------------------------------- controls

    def review(self, waba_id: str, template_id: str, status: str, reason: str = "NONE") -> bytes:
        """Give a template a new status (APPROVED, REJECTED, PAUSED, DISABLED...) and return
        the ``message_template_status_update`` webhook body Meta sends about it (unsigned)."""
        with self._lock:
            template = next(t for t in self.accounts[waba_id] if t["id"] == template_id)
            template["status"] = status
            if status == "REJECTED":
                template["rejected_reason"] = reason
        value = {
            "event": status,
            "message_template_id": int(template_id),
            "message_template_name": template["name"],
            "message_template_language": template["language"],
            "reason": reason if status == "REJECTED" else "NONE",
        }
        change = {"value": value, "field": "message_template_status_update"}
        return json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [{"id": waba_id, "time": int(time.time()), "changes": [change]}],
            }
        ).encode()

    def check_send(
        self, template: Any, media_ids: set[str] | frozenset[str] = frozenset()
    ) -> tuple[int, dict[str, Any]] | None:
        """The Graph error of a template send, or None when it would be accepted; ``media_ids``
        are the ids the simulated ``/media`` endpoint gave out."""
        if not isinstance(template, dict):
            return 400, graph_error(100, "(#100) Invalid parameter: template")
        name = str(template.get("name") or "")
        language = str((template.get("language") or {}).get("code") or "")
        known = self.find(name, language)
        if known is None or known["status"] not in {"APPROVED", "PAUSED", "DISABLED"}:
            return 404, graph_error(
                132001, "(#132001) Template name does not exist in the translation"
            )
        if known["status"] == "PAUSED":
            return 400, graph_error(132015, "(#132015) Template is paused")
        if known["status"] == "DISABLED":
            return 400, graph_error(132016, "(#132016) Template is disabled")
        expected: dict[str, int] = {}
        header_format = "TEXT"
        for component in known["components"]:
            kind = str(component.get("type", "")).upper()
            if kind == "BODY":
                expected["body"] = _count(component.get("text"))
            elif kind == "HEADER":
                fmt = header_format = str(component.get("format", "TEXT")).upper()
                expected["header"] = _count(component.get("text")) if fmt == "TEXT" else 1
            elif kind == "BUTTONS":
                for index, button in enumerate(component.get("buttons") or []):
                    if str(button.get("type", "")).upper() == "URL" and _count(button.get("url")):
                        expected[f"button{index}"] = _count(button.get("url"))
        given: dict[str, int] = {}
        for component in template.get("components") or []:
            kind = str(component.get("type", "")).lower()
            key = f"button{component.get('index')}" if kind == "button" else kind
            given[key] = len(component.get("parameters") or [])
        if {k: v for k, v in expected.items() if v} != {k: v for k, v in given.items() if v}:
            return 400, graph_error(
                132000,
                "(#132000) Number of parameters does not match the expected number of params",
            )
        if header_format != "TEXT" and not _header_media_ok(template, header_format, media_ids):
            return 400, graph_error(
                132012, "(#132012) Parameter format does not match format in the created template"
            )
        return None


def _header_media_ok(template: dict[str, Any], header_format: str, media_ids: Any) -> bool:
    """The header parameter is of the template's format and names a file: an https link or an
    uploaded media id."""
    kind = header_format.lower()
    for component in template.get("components") or []:
        if str(component.get("type", "")).lower() != "header":
            continue
        parameter = (component.get("parameters") or [{}])[0]
        media = parameter.get(kind) if isinstance(parameter, dict) else None
        if parameter.get("type") != kind or not isinstance(media, dict):
            return False
        link, media_id = str(media.get("link") or ""), str(media.get("id") or "")
        return link.startswith("https://") or media_id in media_ids
    return False
