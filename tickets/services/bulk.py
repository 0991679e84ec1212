"""One action on many tickets at once (the inbox's selection): each ticket goes through the
same service as the single action, in its own transaction, and gets its own outcome, so one
refusal never undoes or blocks the others."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.models import Tag
from core.exceptions import ApplicationError
from tickets.errors import BulkInvalid, TicketNotFound
from tickets.models import Queue, Ticket
from tickets.selectors import tickets_visible_to
from tickets.services.tickets import (
    ticket_accept,
    ticket_close,
    ticket_mark_read,
    ticket_tags_set,
    ticket_transfer,
)

BULK_MAX = 100


class BulkAction:
    ACCEPT = "accept"
    TRANSFER = "transfer"
    TAG = "tag"
    CLOSE = "close"
    READ = "read"

    ALL = (ACCEPT, TRANSFER, TAG, CLOSE, READ)


@dataclass(frozen=True)
class BulkOutcome:
    """What happened to one selected ticket: done, or refused with the service's reason."""

    public_id: str
    ticket: Ticket | None
    done: bool
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class BulkTarget:
    """Where a transfer goes and which tag is added (each action reads what it needs)."""

    queue: Queue | None = None
    agent: User | None = None
    tag: Tag | None = None


def _check(action: str, public_ids: Sequence[str], target: BulkTarget) -> list[str]:
    if action not in BulkAction.ALL:
        raise BulkInvalid(_("Unknown action."), extra={"field": "action"})
    ids = list(dict.fromkeys(public_ids))
    if not ids:
        raise BulkInvalid(_("Select at least one ticket."), extra={"field": "ticket"})
    if len(ids) > BULK_MAX:
        raise BulkInvalid(
            _("Select at most %(max)s tickets at once.") % {"max": BULK_MAX},
            extra={"field": "ticket", "max": BULK_MAX},
        )
    if action == BulkAction.TRANSFER and target.queue is None and target.agent is None:
        raise BulkInvalid(_("Choose a queue or an agent."), extra={"field": "queue"})
    if action == BulkAction.TAG and target.tag is None:
        raise BulkInvalid(_("Choose a tag."), extra={"field": "tag"})
    return ids


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _runner(action: str, by: User, target: BulkTarget) -> Callable[[Ticket], object]:
    if action == BulkAction.ACCEPT:
        return lambda ticket: ticket_accept(ticket=ticket, by=by)
    if action == BulkAction.CLOSE:
        return lambda ticket: ticket_close(ticket=ticket, by=by)
    if action == BulkAction.READ:
        return lambda ticket: ticket_mark_read(ticket=ticket, by=by)
    if action == BulkAction.TRANSFER:
        return lambda ticket: ticket_transfer(
            ticket=ticket, by=by, to_queue=target.queue, to_agent=target.agent
        )
    tag_id = target.tag.pk if target.tag is not None else None  # required by _check

    def add_tag(ticket: Ticket) -> object:
        current = [existing.pk for existing in ticket.contact.tags.all()]
        if tag_id is None or tag_id in current:
            return ticket
        return ticket_tags_set(ticket=ticket, by=by, tag_ids=[*current, tag_id])

    return add_tag


def tickets_bulk_act(
    *, by: User, action: str, public_ids: Sequence[str], target: BulkTarget | None = None
) -> list[BulkOutcome]:
    """Run ``action`` on each selected ticket the user may see, in the order given.

    A ticket that is missing, of another tenant or not visible to ``by`` is refused as "not
    found" (nothing tells them apart); the others go through the action's service, whose
    ``ApplicationError`` becomes that ticket's refusal. Raises ``BulkInvalid`` (nothing done)
    for an unknown action, an empty or too large selection, or a missing target.
    """
    target = target or BulkTarget()
    ids = _check(action, public_ids, target)
    wanted = {str(parsed): raw for raw in ids if (parsed := _uuid_or_none(raw)) is not None}
    visible = tickets_visible_to(by).filter(public_id__in=list(wanted)).select_related("contact")
    if action == BulkAction.TAG:
        visible = visible.prefetch_related(
            Prefetch("contact__tags", queryset=Tag.objects.only("pk"))
        )
    found = {str(ticket.public_id): ticket for ticket in visible}
    run = _runner(action, by, target)
    outcomes = []
    for raw in ids:
        parsed = _uuid_or_none(raw)
        ticket = found.get(str(parsed)) if parsed is not None else None
        if ticket is None:
            missing = TicketNotFound()
            outcomes.append(BulkOutcome(raw, None, False, missing.code, missing.message))
            continue
        try:
            run(ticket)
        except ApplicationError as exc:
            outcomes.append(BulkOutcome(raw, ticket, False, exc.code, exc.message))
        else:
            outcomes.append(BulkOutcome(raw, ticket, True))
    return outcomes
