"""What a contact left behind: the values that identify them or came from them (``traces``), and
the purge of the tenant's Redis keys that still hold any of them.

Redis holds copies this app does not own (the live events' replay stream, cached rows): instead
of knowing each structure, the purge walks every key of the current tenant
(``tenancy.redis_key``'s ``<schema>:`` prefix, shared with the cache's keys) and removes the
entries (or keys) whose bytes contain a trace.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import redis
from django.conf import settings

from contacts.models import Contact, ContactIdentity
from tenants.tenancy import current_schema
from tickets.models import Message, Ticket

# Shorter texts ("ok", "sim") say nothing about anybody and would match unrelated entries.
MIN_TRACE_LENGTH = 5


@dataclass(frozen=True)
class Traces:
    """What points to a contact: identifying ``values`` (name, phone, e-mail, channel ids,
    attributes, notes), ``texts`` they wrote or received (message bodies, file names, payloads)
    and the ``ids`` of their rows (contact, tickets, messages), all as text."""

    values: frozenset[str]
    texts: frozenset[str]
    ids: frozenset[str]
    # The values that single the contact out by themselves (phone, e-mail, channel ids), unlike
    # a name or a note that other contacts may share.
    identifiers: frozenset[str] = frozenset()

    @property
    def all(self) -> frozenset[str]:
        return self.values | self.texts | self.ids

    def found_in(self, text: str) -> bool:
        return any(trace in text for trace in self.all)


def _strings(value: Any) -> Iterable[str]:
    """Every string leaf of a JSON-like value (custom attributes, payloads)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def contact_messages(contact: Contact) -> Any:
    """The messages of the contact's tickets and the ones they sent elsewhere (groups)."""
    return Message.objects.filter(ticket__contact=contact) | Message.objects.filter(
        sender_contact=contact
    )


def contact_traces(contact: Contact) -> Traces:
    """Read the contact's identifying values from the database, before they are erased."""
    texts: set[str] = set()
    values: set[str] = {contact.name, contact.phone, contact.email, contact.avatar_url}
    values |= set(_strings(contact.custom_attributes))
    values |= {line.strip() for line in contact.notes.splitlines()}
    if contact.phone.startswith("+"):
        values.add(contact.phone[1:])  # providers write numbers without the plus
    ids: set[str] = {str(contact.public_id)}
    identifiers: set[str] = {contact.phone, contact.phone.lstrip("+"), contact.email}
    for identity in ContactIdentity.objects.filter(contact=contact):
        values |= {identity.external_id, identity.display_name}
        identifiers.add(identity.external_id)
    ids |= {str(pid) for pid in Ticket.objects.filter(contact=contact).values_list("public_id")}
    for public_id, body, media_name, provider_id, payload in contact_messages(contact).values_list(
        "public_id", "body", "media_name", "provider_message_id", "payload"
    ):
        ids.add(str(public_id))
        texts |= {body, media_name, provider_id or ""}
        texts |= set(_strings(payload))
    return Traces(
        values=traces_keep(values),
        texts=traces_keep(texts),
        ids=frozenset(ids),
        identifiers=traces_keep(identifiers),
    )


def traces_keep(candidates: Iterable[str]) -> frozenset[str]:
    """The candidates long enough to point to somebody."""
    return frozenset(c for c in candidates if len(c) >= MIN_TRACE_LENGTH)


@cache
def _raw_client(url: str) -> Any:
    """A client that answers with bytes, not str: cached values are pickled. Typed ``Any`` as
    ``core.redis.redis_client`` is (redis-py's stubs type every reply as a union)."""
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def redis_traces_purge(traces: Traces) -> int:
    """Remove from the current tenant's Redis keys every entry holding a trace; returns how many
    entries (or whole keys) went."""
    # As stored, and as JSON writes it by default (non-ASCII letters escaped: "Jo\\u00e3o").
    needles = list(
        {trace.encode() for trace in traces.all}
        | {json.dumps(trace)[1:-1].encode() for trace in traces.all}
    )
    if not needles:
        return 0

    def holds(*parts: bytes) -> bool:
        return any(needle in part for part in parts for needle in needles)

    client = _raw_client(settings.REDIS_URL)
    removed = 0
    for key in client.scan_iter(match=f"{current_schema()}:*", count=500):
        kind = client.type(key)
        if kind == b"string":
            value = client.get(key)
            if value is not None and holds(value):
                removed += client.delete(key)
        elif kind == b"hash":
            fields = [f for f, v in client.hgetall(key).items() if holds(f, v)]
            removed += client.hdel(key, *fields) if fields else 0
        elif kind == b"list":
            for value in {v for v in client.lrange(key, 0, -1) if holds(v)}:
                removed += client.lrem(key, 0, value)
        elif kind == b"set":
            members = [m for m in client.smembers(key) if holds(m)]
            removed += client.srem(key, *members) if members else 0
        elif kind == b"zset":
            members = [m for m in client.zrange(key, 0, -1) if holds(m)]
            removed += client.zrem(key, *members) if members else 0
        elif kind == b"stream":
            entries = [
                entry_id
                for entry_id, fields in client.xrange(key)
                if holds(*fields.keys(), *fields.values())
            ]
            removed += client.xdel(key, *entries) if entries else 0
    return removed


def json_scrub(value: Any, traces: Traces) -> Any:
    """``value`` (JSON) without the string leaves that hold a trace (replaced by "")."""
    if isinstance(value, str):
        return "" if traces.found_in(value) else value
    if isinstance(value, dict):
        return {key: json_scrub(item, traces) for key, item in value.items()}
    if isinstance(value, list):
        return [json_scrub(item, traces) for item in value]
    return value


def json_holds(value: Any, traces: Traces) -> bool:
    return traces.found_in(json.dumps(value, ensure_ascii=False))
