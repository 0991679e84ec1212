"""Manual replay of inbound events: a tenant admin (dashboard, /manage/inbound/) or an operator
(``manage.py inbound_replay``) retries what the pipeline could not finish.

- A ``failed`` event (processing gave up after ``MAX_PROCESS_ATTEMPTS``) goes back to
  ``received`` with its attempts cleared and is enqueued again; processing is idempotent, so a
  replay never duplicates a message.
- A ``quarantined`` part (unreadable when it arrived) is read again by its provider's parser:
  the items it reads now are stored as new events of the same connection and enqueued, and the
  quarantined row is marked processed; a part still unreadable is refused with its reason.

Each replay is one entry of the audit log (``tenants.audit``), refused or not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import AdminRequired
from accounts.models import User
from audit.services import audit_object, audit_record
from channels_integrations.errors import InboundEventNotReplayable, InboundItemStillMalformed
from channels_integrations.models import InboundEvent
from channels_integrations.providers.base import InboundMalformed, malformed_reason_label
from channels_integrations.providers.registry import provider_for
from channels_integrations.services.inbound import inbound_events_enqueue, inbound_events_record
from core.exceptions import ApplicationError
from tenants.audit import audit_info, audit_warning
from tenants.tenancy import current_tenant

REPLAYABLE = (InboundEvent.Status.FAILED, InboundEvent.Status.QUARANTINED)
MAX_EVENT_ID = 2**63 - 1  # a bigint: a larger id names no event (and PostgreSQL refuses it)


@dataclass
class ReplayOutcome:
    """What a bulk replay did: the events retried, and the refused ones with their error."""

    replayed: list[int] = field(default_factory=list)
    refused: dict[int, ApplicationError] = field(default_factory=dict)


def _audit_fields(event: InboundEvent, via: str) -> dict[str, object]:
    return {
        "inbound_event_id": event.pk,
        "connection": str(event.connection.public_id),
        "kind": event.kind,
        "previous_status": event.status,
        "via": via,
    }


def _reparse(event: InboundEvent) -> list[int]:
    """The quarantined part read again; the ids of the new events it gives."""
    raw = event.item.get("raw") if isinstance(event.item, dict) else None
    body = json.dumps(raw if isinstance(raw, dict) else {}).encode()
    try:
        items = provider_for(event.connection.provider).parse_inbound(body)
    except (ValueError, RecursionError) as exc:
        raise InboundItemStillMalformed() from exc
    unreadable = next((item for item in items if isinstance(item, InboundMalformed)), None)
    if unreadable is not None:
        label = malformed_reason_label(unreadable.reason)
        raise InboundItemStillMalformed(
            _("The item still cannot be read: %(reason)s.") % {"reason": label},
            extra={"reason": unreadable.reason},
        )
    return inbound_events_record(connection=event.connection, items=items)


@transaction.atomic
def inbound_event_replay(*, event_id: int, by: User | None, via: str = "dashboard") -> InboundEvent:
    """Retry one failed or quarantined event of the current tenant (see the module docstring).

    ``by`` is the admin who asks (``None`` for an operator at the command line). Raises
    ``AdminRequired`` (403), ``InboundEventNotReplayable`` (409, also for an unknown id: ids
    are never told apart) or ``InboundItemStillMalformed`` (409); the refusal is audited too.
    """
    if by is not None and not by.is_admin:
        raise AdminRequired()
    user_id = by.pk if by is not None else None
    event = (
        InboundEvent.objects.select_for_update(of=("self",))
        .select_related("connection")
        .filter(pk=event_id)
        .first()
        if 0 < event_id <= MAX_EVENT_ID
        else None
    )
    if event is None or event.status not in REPLAYABLE:
        audit_warning(
            "inbound_event_replay_refused",
            user_id=user_id,
            inbound_event_id=event_id,
            reason=InboundEventNotReplayable.code,
            via=via,
        )
        raise InboundEventNotReplayable()
    fields = _audit_fields(event, via)
    if event.status == InboundEvent.Status.FAILED:
        event.status = InboundEvent.Status.RECEIVED
        event.attempts = 0
        event.last_error = ""
        event.save(update_fields=["status", "attempts", "last_error", "updated_at"])
        new_ids = [event.pk]
    else:
        try:
            new_ids = _reparse(event)
        except InboundItemStillMalformed as exc:
            audit_warning(
                "inbound_event_replay_refused", user_id=user_id, reason=exc.code, **fields
            )
            raise
        event.status = InboundEvent.Status.PROCESSED
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "processed_at", "updated_at"])
    if new_ids:
        enqueue = partial(inbound_events_enqueue, current_tenant(), new_ids)
        transaction.on_commit(enqueue, robust=True)
    audit_info("inbound_event_replayed", user_id=user_id, new_events=len(new_ids), **fields)
    audit_record(
        "inbound_event.replayed",
        actor=by,
        obj=audit_object(event, label=f"#{event.pk}"),
        extra={"via": via, "new_events": len(new_ids)},
    )
    return event


def inbound_events_replay(
    *, event_ids: Sequence[int], by: User | None, via: str = "dashboard"
) -> ReplayOutcome:
    """Retry several events, each on its own (one refusal does not stop the others)."""
    if by is not None and not by.is_admin:
        raise AdminRequired()
    outcome = ReplayOutcome()
    for event_id in dict.fromkeys(event_ids):  # each once, in the given order
        try:
            inbound_event_replay(event_id=event_id, by=by, via=via)
        except ApplicationError as exc:
            outcome.refused[event_id] = exc
        else:
            outcome.replayed.append(event_id)
    return outcome
