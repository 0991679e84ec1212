"""Writing the audit log: ``audit_record`` and the helpers that describe who acted and what
changed.

Entries are written to the schema the connection works in, so a tenant's actions stay in its
schema and the platform's in the public one. An entry is part of the caller's transaction: an
action rolled back leaves no entry behind.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.context import current_request
from audit.models import ActorKind, AuditEntry
from core.client_ip import client_ip

MASK = "••••"
# Field names whose values are never written, whatever the caller declares.
_SECRET_NAME = re.compile(
    r"(password|secret|token|credential|api_key|private|otp|recovery|auth_header|authorization)",
    re.I,
)
_LABEL_MAX = 255
_USER_AGENT_MAX = 512


@dataclass(frozen=True)
class Actor:
    """Who acted: a kind, an id in that kind's table, and a label copied at write time."""

    kind: str
    id: str = ""
    label: str = ""


@dataclass(frozen=True)
class AuditObject:
    """What was acted on: a type (``app.model``), its id and a label copied at write time."""

    type: str
    id: str = ""
    label: str = ""


SYSTEM = Actor(ActorKind.SYSTEM, "", "system")


def _public_schema() -> bool:
    return str(getattr(connection, "schema_name", "public")) == "public"


def _api_key_actor(key: Any) -> Actor:
    prefix = getattr(key, "prefix", "")
    return Actor(ActorKind.API_KEY, str(key.pk), f"{key.name} ({prefix}…)"[:_LABEL_MAX])


def _is_api_key(value: Any) -> bool:
    meta = getattr(value, "_meta", None)
    return meta is not None and meta.label_lower == "integrations.apikey"


def actor_for(who: Any) -> Actor:
    """The actor for a user, an API key or an ``Actor``; ``None`` is the current request's
    actor, or the system outside a request.

    A user acting through an API key (DRF's API-key authentication acts as the key's creator)
    is recorded as that key.
    """
    if isinstance(who, Actor):
        return who
    if who is None:
        request = current_request()
        return request_actor(request) if request is not None else SYSTEM
    if _is_api_key(who):
        return _api_key_actor(who)
    if getattr(who, "acting_via_api_key", None):
        request = current_request()
        auth = getattr(request, "auth", None) if request is not None else None
        if _is_api_key(auth):
            return _api_key_actor(auth)
    if not getattr(who, "is_authenticated", False) or who.pk is None:
        return Actor(ActorKind.ANONYMOUS)
    kind = ActorKind.PLATFORM_STAFF if _public_schema() else ActorKind.USER
    label = getattr(who, "email", "") or str(who)
    return Actor(kind, str(who.pk), label[:_LABEL_MAX])


def request_actor(request: HttpRequest) -> Actor:
    """Who is behind ``request``: its API key, its signed-in user, or anonymous."""
    auth = getattr(request, "auth", None)
    if _is_api_key(auth):
        return _api_key_actor(auth)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return actor_for(user)
    return Actor(ActorKind.ANONYMOUS)


def audit_object(instance: models.Model, *, label: str | None = None) -> AuditObject:
    """The object for a model instance: ``app.model``, its primary key and its ``str()``."""
    text = str(instance) if label is None else label
    return AuditObject(instance._meta.label_lower, str(instance.pk), text[:_LABEL_MAX])


def _plain(value: Any) -> Any:
    """``value`` as JSON would store it (dates as ISO strings, models as their ``str()``)."""
    if isinstance(value, models.Model):
        return str(value)
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


def is_secret(field: str, secret: Iterable[str] = ()) -> bool:
    """True when ``field`` is declared secret or named like one (password, token, ...)."""
    return field in set(secret) or bool(_SECRET_NAME.search(field))


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` on ``instance`` (foreign keys as their ids)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = _plain(getattr(instance, attname))
    return values


def changes_diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, secret: Iterable[str] = ()
) -> dict[str, dict[str, Any]]:
    """``{field: {"before", "after"}}`` for every field whose value differs; the values of
    secret fields are replaced by a mask (only the fact that they changed is kept)."""
    secret = set(secret)
    diff: dict[str, dict[str, Any]] = {}
    for field in sorted(set(before) | set(after)):
        old, new = _plain(before.get(field)), _plain(after.get(field))
        if old == new:
            continue
        if is_secret(field, secret):
            old = MASK if old not in (None, "") else old
            new = MASK if new not in (None, "") else new
        diff[field] = {"before": old, "after": new}
    return diff


def _mask_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _mask_value(inner) for key, inner in value.items()}
    return value if value in (None, "", MASK) else MASK


def _masked(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` made JSON-plain, with everything under a secret-looking key masked."""
    masked: dict[str, Any] = {}
    for key, value in values.items():
        if is_secret(str(key)):
            masked[key] = _mask_value(value)
        elif isinstance(value, Mapping):
            masked[key] = _masked(value)
        else:
            masked[key] = _plain(value)
    return masked


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def audit_record(
    action: str,
    *,
    actor: Any = None,
    obj: AuditObject | models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
    extra: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the current schema's audit log.

    ``actor`` is an ``Actor``, a user or an API key (``None``: whoever is behind the request
    being served, else the system). ``request`` defaults to the request being served, for the
    IP address and user agent. ``extra`` values under secret-looking keys are masked too.
    """
    request = request if request is not None else current_request()
    who = actor_for(actor) if actor is not None or request is None else request_actor(request)
    target = audit_object(obj) if isinstance(obj, models.Model) else obj
    ip = _valid_ip(client_ip(request)) if request is not None else None
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return AuditEntry.objects.create(
        action=action,
        actor_kind=who.kind,
        actor_id=who.id,
        actor_label=who.label[:_LABEL_MAX],
        object_type=target.type if target else "",
        object_id=target.id if target else "",
        object_label=target.label[:_LABEL_MAX] if target else "",
        changes=_masked(changes or {}),
        extra=_masked(extra or {}),
        ip=ip,
        user_agent=str(agent)[:_USER_AGENT_MAX],
    )


@transaction.atomic
def audit_retention_apply(*, days: int) -> int:
    """Delete the current schema's entries older than ``days`` days; returns how many.

    The only deletion the table's trigger lets through: it checks a setting that lives only
    inside this transaction (``SET LOCAL``).
    """
    cutoff = timezone.now() - timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL tiktickets.audit_retention = 'on'")
        deleted, _ = AuditEntry.objects.filter(created_at__lt=cutoff).delete()
        # Inside a larger transaction the permission must not outlive the deletion (a failed
        # deletion rolls back to this function's savepoint, which undoes the SET LOCAL too).
        cursor.execute("SET LOCAL tiktickets.audit_retention = 'off'")
    return deleted
