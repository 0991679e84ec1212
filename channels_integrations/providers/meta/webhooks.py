"""The shared Meta webhook endpoint's pure helpers: the subscription handshake and routing.

Meta sends WhatsApp, Messenger and Instagram events of one app to one callback URL, so the
endpoint (public urlconf) finds the connection from ids inside the body through the routing
table, then verifies the signature with that connection's app secret.

Handshake: https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
Payload envelopes: https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
"""

from __future__ import annotations

import dataclasses
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from core.json_bodies import MalformedJSON, json_loads_safe

WHATSAPP_OBJECT = "whatsapp_business_account"
MESSENGER_OBJECT = "page"
INSTAGRAM_OBJECT = "instagram"


class MalformedPayload(ValueError):
    """The body is not a Meta webhook envelope (``{"object": ..., "entry": [...]}``)."""


def verify_subscription(params: Mapping[str, Any], verify_token: str) -> str | None:
    """The ``hub.challenge`` to echo back when Meta's GET handshake names ``verify_token``;
    None otherwise (answer 403)."""
    return meta_verify_subscription(
        params,
        lambda token: (
            bool(verify_token) and hmac.compare_digest(token.encode(), verify_token.encode())
        ),
    )


def meta_verify_subscription(
    query_params: Mapping[str, Any], verify_tokens_lookup: Callable[[str], bool]
) -> str | None:
    """The ``hub.challenge`` when ``hub.mode`` is ``subscribe`` and ``verify_tokens_lookup``
    accepts ``hub.verify_token``; None otherwise.

    The handshake carries no account id, so it cannot name a connection:
    ``verify_tokens_lookup(token)`` says whether the token is the one expected (the platform's,
    on the shared callback), comparing in constant time.
    """
    mode = str(query_params.get("hub.mode") or "")
    token = str(query_params.get("hub.verify_token") or "")
    challenge = str(query_params.get("hub.challenge") or "")
    if mode != "subscribe" or not token or not challenge:
        return None
    return challenge if verify_tokens_lookup(token) else None


def _envelope(payload: bytes) -> tuple[str, list[dict[str, Any]]]:
    try:
        data = json_loads_safe(payload)
    except MalformedJSON as exc:  # not JSON, or nested deeper than any Meta payload
        raise MalformedPayload(exc.message) from exc
    if not isinstance(data, dict):
        raise MalformedPayload("body is not a JSON object")
    object_type = data.get("object")
    entries = data.get("entry")
    if not isinstance(object_type, str) or not isinstance(entries, list):
        raise MalformedPayload("body has no object/entry")
    return object_type, [entry for entry in entries if isinstance(entry, dict)]


def _changes(entry: dict[str, Any]) -> list[Any]:
    changes = entry.get("changes")
    return changes if isinstance(changes, list) else []


# Changes about the WhatsApp Business Account rather than one of its numbers: routed by the
# account (``entry[].id``) through the key the connection registers for it.
WHATSAPP_ACCOUNT_FIELDS = frozenset({"message_template_status_update"})


def whatsapp_account_route_key(business_account_id: str) -> str:
    """The routing key of a WhatsApp Business Account (its template changes)."""
    return f"waba:{business_account_id}"


def _whatsapp_route_key(entry: dict[str, Any], change: Any) -> str:
    if isinstance(change, dict) and change.get("field") in WHATSAPP_ACCOUNT_FIELDS:
        account = str(entry.get("id") or "")
        return whatsapp_account_route_key(account) if account else ""
    return _whatsapp_phone_number_id(change)


def _whatsapp_phone_number_id(change: Any) -> str:
    if not isinstance(change, dict):
        return ""
    value = change.get("value")
    metadata = value.get("metadata") if isinstance(value, dict) else None
    if not isinstance(metadata, dict):
        return ""
    return str(metadata.get("phone_number_id") or "")


def meta_route_keys_of(payload: bytes) -> tuple[str, list[str]]:
    """``(object type, routing keys)`` of a webhook body, keys in order and without repeats.

    WhatsApp's ``entry[].id`` is the WhatsApp Business Account, which may hold several numbers,
    so its keys are the ``changes[].value.metadata.phone_number_id`` (``waba:<entry id>`` for
    the account's own changes, such as template reviews); Messenger's and Instagram's
    keys are ``entry[].id`` (the Page id, the Instagram professional account id). These are the
    values each provider's ``route_keys(credentials)`` registers. Raises ``MalformedPayload``.
    """
    object_type, entries = _envelope(payload)
    keys: list[str] = []
    for entry in entries:
        if object_type == WHATSAPP_OBJECT:
            candidates = [_whatsapp_route_key(entry, c) for c in _changes(entry)]
        else:
            candidates = [str(entry.get("id") or "")]
        keys.extend(key for key in candidates if key and key not in keys)
    return object_type, keys


def meta_split_by_route_key(payload: bytes) -> dict[str, bytes]:
    """One webhook body per routing key, same envelope, holding only that key's events.

    Meta may batch events of several numbers or pages of the app into one POST; the endpoint
    verifies the signature on the whole raw body once, then records one inbound event per
    connection with its own part, so no connection ever parses another's messages.
    Raises ``MalformedPayload``.
    """
    object_type, entries = _envelope(payload)
    parts: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if object_type == WHATSAPP_OBJECT:
            by_number: dict[str, list[Any]] = {}
            for change in _changes(entry):
                key = _whatsapp_route_key(entry, change)
                if key:
                    by_number.setdefault(key, []).append(change)
            for key, changes in by_number.items():
                parts.setdefault(key, []).append({**entry, "changes": changes})
        else:
            key = str(entry.get("id") or "")
            if key:
                parts.setdefault(key, []).append(entry)
    return {
        key: json.dumps({"object": object_type, "entry": key_entries}).encode()
        for key, key_entries in parts.items()
    }


def meta_parse_routed(payload: bytes, parse_part: Callable[[bytes], list[Any]]) -> list[Any]:
    """Items of a Meta delivery, each stamped with the account it is addressed to.

    The body is split by account (``meta_split_by_route_key``) and every part parsed on its
    own, so each item carries the ``route_key`` (phone number id, page id) that the inbound
    pipeline looks up in the routing table. A body that is no Meta envelope gives nothing, as
    the adapters' parsers do (the shared view refuses it with 400 before parsing).
    """
    try:
        parts = meta_split_by_route_key(payload)
    except MalformedPayload:
        return []
    items: list[Any] = []
    for key, part in parts.items():
        items.extend(dataclasses.replace(item, route_key=key) for item in parse_part(part))
    return items
