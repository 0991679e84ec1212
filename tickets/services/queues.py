"""Queues: create, change, set their agents, and delete them without orphaning a ticket.

Every function here is for tenant admins (``by`` must be an admin); the API, the dashboard and
the Django admin call the same functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import AdminRequired
from accounts.models import User
from audit.services import audit_object, audit_record, changes_diff, snapshot
from core.event_bus import publish
from core.exceptions import FieldValidationError
from tickets.domain_events import AgentAccessChanged
from tickets.errors import QueueExists, QueueHasTickets, QueueInactive, QueueInUse
from tickets.events import event_ticket_transferred
from tickets.message_variables import SYSTEM_TEXT, variables_check
from tickets.models import Queue, Ticket


def _require_admin(by: User) -> None:
    if not by.is_admin:
        raise AdminRequired()


class _Keep:
    """Marks an argument the caller did not give (``None`` means "clear")."""


KEEP = _Keep()


def _check_distribution(queue: Queue) -> None:
    """Distribution by capacity needs the capacity (400 on the field, nothing stored)."""
    if queue.distribution not in Queue.Distribution.values:
        raise FieldValidationError({"distribution": [_("Unknown distribution mode.")]})
    if queue.distribution == Queue.Distribution.CAPACITY and not queue.agent_capacity:
        raise FieldValidationError(
            {"agent_capacity": [_("Distribution by capacity needs the tickets per agent.")]}
        )


def _validated_save(queue: Queue) -> None:
    """Model validation (colour, lengths) as 400, a taken name as 409, then save."""
    duplicates = Queue.objects.filter(name__iexact=queue.name).exclude(pk=queue.pk)
    if duplicates.exists():
        raise QueueExists(extra={"name": queue.name})
    try:
        queue.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise FieldValidationError(
            {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        ) from exc
    try:
        with transaction.atomic():
            queue.save()
    except IntegrityError as exc:  # a concurrent create or rename took the name first
        raise QueueExists(extra={"name": queue.name}) from exc


# What the audit log keeps of a queue.
_AUDITED = ("name", "color", "greeting_message", "is_active", "distribution", "agent_capacity")


@transaction.atomic
def queue_create(
    *,
    by: User,
    name: str,
    color: str | None = None,
    greeting_message: str = "",
    is_active: bool = True,
    distribution: str = Queue.Distribution.NONE,
    agent_capacity: int | None = None,
) -> Queue:
    """A new queue; names are unique in the tenant regardless of case (409 ``queue_exists``)."""
    _require_admin(by)
    variables_check({"greeting_message": greeting_message}, allowed=SYSTEM_TEXT)
    queue = Queue(
        name=name.strip(),
        greeting_message=greeting_message,
        is_active=is_active,
        distribution=distribution,
        agent_capacity=agent_capacity,
    )
    if color is not None:
        queue.color = color
    _check_distribution(queue)
    _validated_save(queue)
    audit_record(
        "queue.created", actor=by, obj=queue, changes=changes_diff({}, snapshot(queue, _AUDITED))
    )
    return queue


@transaction.atomic
def queue_update(
    *,
    queue: Queue,
    by: User,
    name: str | None = None,
    color: str | None = None,
    greeting_message: str | None = None,
    is_active: bool | None = None,
    distribution: str | None = None,
    agent_capacity: int | None | _Keep = KEEP,
) -> Queue:
    """Change the given fields; ``None`` leaves a field as it is (``agent_capacity=None``
    clears the limit; leave it out to keep it).

    Deactivating hides the queue from pickers (transfers, bots) but keeps its tickets where they
    are; deleting is ``queue_delete``.
    """
    _require_admin(by)
    variables_check({"greeting_message": greeting_message}, allowed=SYSTEM_TEXT)
    before = snapshot(queue, _AUDITED)
    if name is not None:
        queue.name = name.strip()
    if color is not None:
        queue.color = color
    if greeting_message is not None:
        queue.greeting_message = greeting_message
    if is_active is not None:
        queue.is_active = is_active
    if distribution is not None:
        queue.distribution = distribution
    if not isinstance(agent_capacity, _Keep):
        queue.agent_capacity = agent_capacity
    _check_distribution(queue)
    _validated_save(queue)
    diff = changes_diff(before, snapshot(queue, _AUDITED))
    if diff:
        audit_record("queue.updated", actor=by, obj=queue, changes=diff)
    return queue


@transaction.atomic
def queue_members_set(*, queue: Queue, agent_ids: Iterable[int], by: User) -> Queue:
    """Replace the queue's agents; every id must be an active user of this tenant (else 400 and
    nothing changes)."""
    _require_admin(by)
    wanted = set(agent_ids)
    found = set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    unknown = sorted(wanted - found)
    if unknown:
        raise FieldValidationError(
            {
                "agent_ids": [
                    _("Unknown or inactive users: %(ids)s.")
                    % {"ids": ", ".join(str(pk) for pk in unknown)}
                ]
            }
        )
    before = set(queue.members.values_list("pk", flat=True))
    queue.members.set(found)
    if before != found:
        publish(AgentAccessChanged(user_ids=tuple(sorted(before ^ found))))
        audit_record(
            "queue.members_changed",
            actor=by,
            obj=queue,
            changes=changes_diff({"members": sorted(before)}, {"members": sorted(found)}),
        )
    return queue


@transaction.atomic
def queue_delete(*, queue: Queue, move_to: Queue | None, by: User) -> int:
    """Delete ``queue``, first moving every ticket of it (any status, soft-deleted ones too) to
    ``move_to``; returns how many tickets moved.

    Tickets are never orphaned: a queue with tickets and no target is refused with 409
    ``queue_has_tickets`` (``extra.tickets`` = their number). Each moved ticket gets a
    ``transferred`` timeline entry by the admin, closed ones included, so a ticket's history always
    explains why its queue changed. Assignees are kept. Connections whose default queue was this
    one fall back to no default queue (their foreign key is ``SET_NULL``); memberships go with the
    queue.

    Both queues are locked first: a ticket being created in or transferred to the queue meanwhile
    waits (its foreign key check needs the row) and then fails on the missing queue instead of
    being left pointing at nothing.
    """
    _require_admin(by)
    target = audit_object(queue)
    if move_to is not None and move_to.pk == queue.pk:
        raise FieldValidationError(
            {"move_to": [_("Choose a different queue to move the tickets to.")]}
        )
    pks = sorted(pk for pk in (queue.pk, move_to.pk if move_to else None) if pk is not None)
    locked = {q.pk: q for q in Queue.objects.select_for_update().filter(pk__in=pks).order_by("pk")}
    if move_to is not None:
        if move_to.pk not in locked:
            raise FieldValidationError({"move_to": [_("This queue does not exist.")]})
        move_to = locked[move_to.pk]
        if not move_to.is_active:
            raise QueueInactive(extra={"move_to": move_to.pk})

    tickets = Ticket.objects.filter(queue_id=queue.pk).select_related("assignee")
    count = tickets.count()
    if count and move_to is None:
        raise QueueHasTickets(extra={"tickets": count})
    if move_to is not None:
        for ticket in tickets.order_by("pk").iterator(chunk_size=500):
            event_ticket_transferred(
                ticket=ticket,
                by=by,
                from_queue=queue,
                to_queue=move_to,
                from_agent=ticket.assignee,
                to_agent=ticket.assignee,
                note=_("Queue deleted"),
            )
        tickets.update(queue=move_to, updated_at=timezone.now())
    affected = set(queue.members.values_list("pk", flat=True))
    if count and move_to is not None:
        affected |= set(move_to.members.values_list("pk", flat=True))
    try:
        with transaction.atomic():
            queue.delete()
    except ProtectedError as exc:  # a model added later protects queues; refuse, do not 500
        raise QueueInUse() from exc
    audit_record(
        "queue.deleted",
        actor=by,
        obj=target,
        extra={"tickets_moved": count, "moved_to": move_to.pk if move_to else None},
    )
    if affected:
        # Their subscriptions change, and the moved tickets show up in other inboxes.
        publish(AgentAccessChanged(user_ids=tuple(sorted(affected))))
    return count
