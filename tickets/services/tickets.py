"""Ticket lifecycle: open-or-reuse for inbound messages, and the agent's transitions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import AdminRequired
from accounts.models import User
from audit.services import audit_object, audit_record
from connections.models import ChannelConnection
from contacts.models import Contact, Tag
from contacts.services import contact_tags_set
from core.event_bus import publish
from core.savepoints import atomic_service, savepoint_own
from tenants.tenant_settings import tenant_setting
from tickets import events
from tickets.domain_events import (
    MessagesRead,
    TicketClosed,
    TicketCreated,
    TicketTransferred,
    TicketUpdated,
)
from tickets.errors import (
    ActiveTicketExists,
    AgentInactive,
    AgentNotInQueue,
    ConnectionInactive,
    ContactBlocked,
    InvalidTicketTransition,
    NothingToTransfer,
    QueueInactive,
    TicketActionForbidden,
    TicketAlreadyAccepted,
    TicketNotClosed,
    TicketNotFound,
)
from tickets.models import Message, Queue, Ticket
from tickets.protocols import protocol_next
from tickets.selectors import tickets_visible_to
from tickets.selectors.routing import connection_routing_get
from tickets.services.greetings import ticket_farewell_queue, ticket_queue_greeting_queue


@atomic_service
def ticket_open_or_reuse(
    *,
    contact: Contact,
    connection: ChannelConnection,
    at: datetime | None = None,
    locked: Ticket | None = None,
    contact_new: bool = False,
) -> tuple[Ticket, bool]:
    """The ticket an inbound message of ``contact`` on ``connection`` belongs to, locked.

    Returns ``(ticket, created)``. Reuses the active (pending or open) ticket; else reopens the
    last closed one when the tenant's reopen window allows; else opens a new pending ticket in
    the connection's default queue. Safe under concurrency: the partial unique index on
    (contact, connection) for non-closed tickets means that of two simultaneous first messages
    one creates the ticket and the other waits for it, then reuses it.

    What the caller already knows is not read again (an inbound batch reads, and locks, its
    customers' active tickets in one statement): ``locked`` is the contact's active ticket on
    the connection, locked in the current transaction and not written since; ``contact_new``
    says the contact was created in the current transaction and no ticket of it has been
    opened since, so it has none, active or closed.
    """
    at = at or timezone.now()
    if locked is not None:
        if (locked.contact_id, locked.connection_id) != (contact.pk, connection.pk):
            raise ValueError(f"ticket {locked.pk} is not the contact's on this connection")
        return locked, False
    active = None if contact_new else _active_locked(contact, connection)
    if active is not None:
        return active, False
    window = 0 if contact_new else tenant_setting("reopen_window_minutes")
    if window:
        recent = (
            Ticket.objects.select_for_update()
            .filter(
                contact=contact,
                connection=connection,
                status=Ticket.Status.CLOSED,
                closed_at__gte=at - timedelta(minutes=window),
                deleted_at__isnull=True,
            )
            .order_by("-closed_at")
            .first()
        )
        if recent is not None:
            recent.status = Ticket.Status.PENDING
            recent.closed_at = None
            recent.closed_by = None
            recent.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
            events.event_ticket_reopened(ticket=recent, by=None, reason="customer_message")
            publish(
                TicketUpdated(
                    ticket_id=recent.pk,
                    previous_queue_id=recent.queue_id,
                    previous_assignee_id=recent.assignee_id,
                )
            )
            return recent, False
    try:
        # Inside an inbound batch the event's savepoint answers a race (core.savepoints).
        with transaction.atomic(savepoint=savepoint_own()):
            ticket = _create_pending(contact=contact, connection=connection, at=at)
    except IntegrityError:
        if not savepoint_own():  # the transaction is broken: the caller's savepoint rolls back
            raise
        # A concurrent message of the same contact created it first; it has committed by now.
        active = _active_locked(contact, connection)
        if active is None:
            raise
        return active, False
    return ticket, True


def tickets_active_locked(
    *, connection: ChannelConnection, contact_ids: Sequence[int]
) -> dict[int, Ticket]:
    """The active tickets of the contacts on the connection, by contact id, locked by one
    statement in id order, as ``ticket_open_or_reuse`` locks one (its ``locked``). Call it in
    a transaction."""
    if not contact_ids:
        return {}
    tickets = (
        Ticket.objects.select_for_update()
        .filter(connection=connection, contact_id__in=contact_ids)
        .exclude(status=Ticket.Status.CLOSED)
        .order_by("pk")
    )
    return {ticket.contact_id: ticket for ticket in tickets}


def _active_locked(contact: Contact, connection: ChannelConnection) -> Ticket | None:
    return (
        Ticket.objects.select_for_update()
        .filter(contact=contact, connection=connection)
        .exclude(status=Ticket.Status.CLOSED)
        .first()
    )


def _create_pending(*, contact: Contact, connection: ChannelConnection, at: datetime) -> Ticket:
    assignee = None
    if tenant_setting("direct_tickets_to_wallet"):
        assignee = contact.owners.filter(is_active=True).order_by("pk").first()
    ticket = Ticket.objects.create(
        protocol=protocol_next(),
        status=Ticket.Status.PENDING,
        contact=contact,
        connection=connection,
        queue=connection_routing_get(connection=connection).default_queue,
        assignee=assignee,
        # Never null, so the inbox's keyset ordering on it always has a position.
        last_message_at=at,
    )
    events.event_ticket_created(ticket=ticket, by=None)
    publish(TicketCreated(ticket_id=ticket.pk))
    return ticket


def _unchanged_audience(ticket: Ticket) -> TicketUpdated:
    """A change that leaves queue and assignee as they were."""
    return TicketUpdated(
        ticket_id=ticket.pk,
        previous_queue_id=ticket.queue_id,
        previous_assignee_id=ticket.assignee_id,
    )


# --------------------------------------------------------------------------- who may act


def ticket_can_accept(*, ticket: Ticket, user: User) -> bool:
    """Pending, and unassigned or assigned to ``user`` (admins: any pending ticket)."""
    if ticket.status != Ticket.Status.PENDING or ticket.deleted_at is not None:
        return False
    return user.is_admin or ticket.assignee_id in (None, user.pk)


def _active(ticket: Ticket) -> bool:
    return ticket.status != Ticket.Status.CLOSED and ticket.deleted_at is None


def _owns(ticket: Ticket, user: User) -> bool:
    return user.is_admin or ticket.assignee_id == user.pk


def ticket_can_transfer(*, ticket: Ticket, user: User) -> bool:
    return _active(ticket) and _owns(ticket, user)


def ticket_can_return(*, ticket: Ticket, user: User) -> bool:
    return ticket.status == Ticket.Status.OPEN and ticket.deleted_at is None and _owns(ticket, user)


def ticket_can_close(*, ticket: Ticket, user: User) -> bool:
    return _active(ticket) and _owns(ticket, user)


def ticket_can_reopen(*, ticket: Ticket, user: User) -> bool:
    """Closed tickets the user can see (the caller has checked visibility)."""
    return ticket.status == Ticket.Status.CLOSED and ticket.deleted_at is None


def ticket_permissions(*, ticket: Ticket, user: User) -> dict[str, bool]:
    """What ``user`` may do on a ticket they can see (for the detail view); no queries."""
    return {
        "accept": ticket_can_accept(ticket=ticket, user=user),
        "transfer": ticket_can_transfer(ticket=ticket, user=user),
        "return_to_queue": ticket_can_return(ticket=ticket, user=user),
        "close": ticket_can_close(ticket=ticket, user=user),
        "reopen": ticket_can_reopen(ticket=ticket, user=user),
        "send_message": ticket.status == Ticket.Status.OPEN
        and ticket.deleted_at is None
        and _owns(ticket, user),
        "delete": user.is_admin and ticket.deleted_at is None and ticket.is_closed,
        "restore": user.is_admin and ticket.deleted_at is not None,
    }


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        # The routing rides along for the farewell a close may send.
        .select_related("contact", "connection__routing", "queue", "assignee")
        .get(pk=ticket.pk)
    )


def _refresh_into(target: Ticket, source: Ticket) -> Ticket:
    """Copy the locked row's state into the caller's instance, so it sees the change."""
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    for name in ("contact", "connection", "queue", "assignee"):
        if name in source._state.fields_cache:
            target._state.fields_cache[name] = source._state.fields_cache[name]
        else:
            target._state.fields_cache.pop(name, None)
    return target


def _check_visible(ticket: Ticket, by: User) -> None:
    if not by.is_admin and not tickets_visible_to(by).filter(pk=ticket.pk).exists():
        raise TicketNotFound()


# --------------------------------------------------------------------------- outbound create


@transaction.atomic
def ticket_create_outbound(
    *, contact: Contact, connection: ChannelConnection, by: User, queue: Queue | None = None
) -> Ticket:
    """An agent starts a conversation ("demanda ativa"): an open ticket assigned to ``by``.

    409 ``active_ticket_exists`` (with the existing ticket's public id) when the contact already
    has a pending or open ticket on that connection; the partial unique index settles races.
    """
    if not connection.is_active:
        raise ConnectionInactive()
    if contact.is_blocked:
        raise ContactBlocked()
    if queue is not None:
        if not queue.is_active:
            raise QueueInactive()
        if not by.is_admin and not queue.members.filter(pk=by.pk).exists():
            raise AgentNotInQueue()
    _raise_if_active(contact=contact, connection_id=connection.pk)
    now = timezone.now()
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                protocol=protocol_next(),
                status=Ticket.Status.OPEN,
                contact=contact,
                connection=connection,
                queue=queue,
                assignee=by,
                is_outbound=True,
                accepted_at=now,
                last_message_at=now,
            )
    except IntegrityError as exc:
        _raise_if_active(contact=contact, connection_id=connection.pk)
        raise ActiveTicketExists() from exc
    events.event_ticket_created(ticket=ticket, by=by)
    publish(TicketCreated(ticket_id=ticket.pk))
    return ticket


def _raise_if_active(
    *, contact: Contact, connection_id: int, exclude_pk: int | None = None
) -> None:
    active = Ticket.objects.filter(contact=contact, connection_id=connection_id).exclude(
        status=Ticket.Status.CLOSED
    )
    if exclude_pk is not None:
        active = active.exclude(pk=exclude_pk)
    public_id = active.values_list("public_id", flat=True).first()
    if public_id is not None:
        raise ActiveTicketExists(extra={"ticket_id": str(public_id)})


# --------------------------------------------------------------------------- transitions


@transaction.atomic
def ticket_accept(*, ticket: Ticket, by: User) -> Ticket:
    """pending → open, assigned to ``by``; of two agents accepting at once one wins.

    A conditional UPDATE (``WHERE status = 'pending' AND (assignee IS NULL OR assignee = by)``)
    decides the race in the database; the loser gets 409 ``ticket_already_accepted``. Agents may
    accept tickets visible to them that are unassigned or assigned to them; admins any.
    """
    _check_visible(ticket, by)
    previous_assignee_id = ticket.assignee_id
    now = timezone.now()
    candidates = Ticket.objects.filter(
        pk=ticket.pk, status=Ticket.Status.PENDING, deleted_at__isnull=True
    )
    if not by.is_admin:
        candidates = candidates.filter(Q(assignee__isnull=True) | Q(assignee_id=by.pk))
    updated = candidates.update(
        status=Ticket.Status.OPEN, assignee=by, accepted_at=now, updated_at=now
    )
    current = _locked(ticket)
    if not updated:
        if current.status == Ticket.Status.OPEN:
            raise TicketAlreadyAccepted()
        if current.status == Ticket.Status.PENDING and current.deleted_at is None:
            raise TicketActionForbidden()  # reserved for another agent
        raise InvalidTicketTransition()
    _refresh_into(ticket, current)
    events.event_ticket_accepted(ticket=ticket, by=by)
    publish(
        TicketUpdated(
            ticket_id=ticket.pk,
            previous_queue_id=ticket.queue_id,
            previous_assignee_id=previous_assignee_id,
        )
    )
    return ticket


@transaction.atomic
def ticket_transfer(
    *,
    ticket: Ticket,
    by: User | None,
    to_queue: Queue | None = None,
    to_agent: User | None = None,
    note: str = "",
) -> Ticket:
    """Move the ticket to another queue and/or agent.

    To an agent: open, assigned to them (they must be active and, when the ticket has or gets a
    queue, a member of it). To a queue only: pending and unassigned, waiting there. Closed
    tickets and transfers that change nothing are refused. Agents transfer their own tickets;
    admins any; ``by=None`` is the system (the chatbot handing a ticket over). A ticket entering
    another queue gets that queue's greeting (once per ticket).
    """
    current = _locked(ticket)
    if current.status == Ticket.Status.CLOSED or current.deleted_at is not None:
        raise InvalidTicketTransition()
    if by is not None and not _owns(current, by):
        raise TicketActionForbidden()
    if to_queue is None and to_agent is None:
        raise NothingToTransfer()
    target_queue = to_queue if to_queue is not None else current.queue
    if to_queue is not None and not to_queue.is_active:
        raise QueueInactive()
    if to_agent is not None:
        if not to_agent.is_active:
            raise AgentInactive()
        if target_queue is not None and not target_queue.members.filter(pk=to_agent.pk).exists():
            raise AgentNotInQueue()
    if to_agent is not None:
        new_status, new_assignee = Ticket.Status.OPEN, to_agent
    else:
        new_status, new_assignee = Ticket.Status.PENDING, None
    target_queue_id = target_queue.pk if target_queue is not None else None
    if (
        target_queue_id == current.queue_id
        and (new_assignee.pk if new_assignee else None) == current.assignee_id
        and new_status == current.status
    ):
        raise NothingToTransfer()
    from_queue, from_agent = current.queue, current.assignee
    current.queue = target_queue
    current.assignee = new_assignee
    current.status = new_status
    fields = ["queue", "assignee", "status", "updated_at"]
    if new_status == Ticket.Status.OPEN and current.accepted_at is None:
        current.accepted_at = timezone.now()
        fields.append("accepted_at")
    current.save(update_fields=fields)
    events.event_ticket_transferred(
        ticket=current,
        by=by,
        from_queue=from_queue,
        to_queue=target_queue,
        from_agent=from_agent,
        to_agent=new_assignee,
        note=note.strip(),
    )
    publish(
        TicketTransferred(
            ticket_id=current.pk,
            previous_queue_id=from_queue.pk if from_queue is not None else None,
            previous_assignee_id=from_agent.pk if from_agent is not None else None,
        )
    )
    if target_queue is not None and target_queue != from_queue:
        ticket_queue_greeting_queue(ticket=current)
    return _refresh_into(ticket, current)


@transaction.atomic
def ticket_assign_automatically(*, ticket: Ticket, agent: User, mode: str) -> bool:
    """Distribution's hand-over: a waiting ticket (pending, nobody's, not deleted, still in the
    queue it was distributed from) becomes ``agent``'s; True if this call did it.

    The ticket stays pending, reserved for the agent, who accepts it as usual. A conditional
    UPDATE decides: a ticket picked or moved meanwhile is left alone (False). The timeline says
    it was assigned automatically; ``TicketTransferred`` tells the agent's inbox live.
    """
    queue_id = ticket.queue_id
    if queue_id is None:
        return False
    now = timezone.now()
    updated = Ticket.objects.filter(
        pk=ticket.pk,
        status=Ticket.Status.PENDING,
        assignee__isnull=True,
        deleted_at__isnull=True,
        queue_id=queue_id,
    ).update(assignee=agent, updated_at=now)
    if not updated:
        return False
    ticket.assignee = agent
    events.event_ticket_auto_assigned(ticket=ticket, agent=agent, queue=ticket.queue, mode=mode)
    publish(
        TicketTransferred(
            ticket_id=ticket.pk, previous_queue_id=ticket.queue_id, previous_assignee_id=None
        )
    )
    return True


@transaction.atomic
def ticket_return_to_queue(*, ticket: Ticket, by: User) -> Ticket:
    """open → pending, unassigned, back in its queue; own tickets (admins any)."""
    current = _locked(ticket)
    if current.status != Ticket.Status.OPEN or current.deleted_at is not None:
        raise InvalidTicketTransition()
    if not _owns(current, by):
        raise TicketActionForbidden()
    from_agent = current.assignee
    current.status = Ticket.Status.PENDING
    current.assignee = None
    current.save(update_fields=["status", "assignee", "updated_at"])
    events.event_ticket_returned(ticket=current, by=by, from_agent=from_agent)
    publish(
        TicketUpdated(
            ticket_id=current.pk,
            previous_queue_id=current.queue_id,
            previous_assignee_id=from_agent.pk if from_agent is not None else None,
        )
    )
    return _refresh_into(ticket, current)


@transaction.atomic
def ticket_close(*, ticket: Ticket, by: User | None, automatic: bool = False) -> Ticket:
    """pending/open → closed, with ``closed_at``/``closed_by`` and a timeline entry.

    The farewell message of the connection is queued once, only on this transition, when the
    tenant enables it (``farewell_on_close``, or ``farewell_on_auto_close`` for ``automatic``)
    and never for groups; it is an outbound system message handed to the outbound pipeline after
    commit. Agents close their own tickets; admins and the auto-close job any.
    """
    current = _locked(ticket)
    if current.status == Ticket.Status.CLOSED or current.deleted_at is not None:
        raise InvalidTicketTransition()
    if by is not None and not _owns(current, by):
        raise TicketActionForbidden()
    now = timezone.now()
    current.status = Ticket.Status.CLOSED
    current.closed_at = now
    current.closed_by = by
    current.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    events.event_ticket_closed(ticket=current, by=by, automatic=automatic)
    publish(
        TicketClosed(
            ticket_id=current.pk,
            previous_queue_id=current.queue_id,
            previous_assignee_id=current.assignee_id,
        )
    )
    ticket_farewell_queue(ticket=current, automatic=automatic, at=now)
    return _refresh_into(ticket, current)


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, by: User) -> Ticket:
    """closed → open, assigned to ``by`` (a ticket they can see); 409 ``active_ticket_exists``
    when the contact meanwhile has another active ticket on that connection."""
    _check_visible(ticket, by)
    current = _locked(ticket)
    if current.status != Ticket.Status.CLOSED or current.deleted_at is not None:
        raise InvalidTicketTransition()
    _raise_if_active(
        contact=current.contact, connection_id=current.connection_id, exclude_pk=current.pk
    )
    previous_assignee_id = current.assignee_id
    current.status = Ticket.Status.OPEN
    current.assignee = by
    current.closed_at = None
    current.closed_by = None
    current.accepted_at = timezone.now()
    try:
        with transaction.atomic():
            current.save(
                update_fields=[
                    "status",
                    "assignee",
                    "closed_at",
                    "closed_by",
                    "accepted_at",
                    "updated_at",
                ]
            )
    except IntegrityError as exc:  # a new ticket was opened concurrently
        _raise_if_active(
            contact=current.contact, connection_id=current.connection_id, exclude_pk=current.pk
        )
        raise ActiveTicketExists() from exc
    events.event_ticket_reopened(ticket=current, by=by, reason="agent")
    publish(
        TicketUpdated(
            ticket_id=current.pk,
            previous_queue_id=current.queue_id,
            previous_assignee_id=previous_assignee_id,
        )
    )
    return _refresh_into(ticket, current)


def ticket_open_by(*, ticket: Ticket, by: User) -> Ticket:
    """``by`` opened the conversation. Only the agent it is assigned to, on an open ticket,
    reads it: the unread counter goes to zero and the customer's messages not read before are
    stamped ``read_at``, once each; when the tenant sends read receipts, ``MessagesRead`` names
    the newest of them (a receipt covers the earlier ones too). Anyone else opening it (an
    admin, a supervisor, an agent looking at a waiting ticket) only peeks: nothing changes for
    the agent who owns it. Costs no query when nothing is unread."""
    if ticket.assignee_id != by.pk or ticket.status != Ticket.Status.OPEN:
        return ticket
    if not ticket.unread_count:
        return ticket
    with transaction.atomic():
        unread = Message.objects.filter(
            ticket=ticket, direction=Message.Direction.INBOUND, read_at__isnull=True
        )
        newest = unread.order_by("-created_at", "-id").values_list("pk", flat=True).first()
        # Of two simultaneous openings the second finds nothing left to stamp: one receipt.
        if newest is None or not unread.update(read_at=timezone.now()):
            return ticket_mark_read(ticket=ticket, by=by)
        if tenant_setting("send_read_receipts"):
            publish(MessagesRead(ticket_id=ticket.pk, message_id=newest))
        return ticket_mark_read(ticket=ticket, by=by)


@transaction.atomic
def ticket_mark_read(*, ticket: Ticket, by: User) -> Ticket:
    """The agent has read the conversation: the unread counter goes back to zero."""
    updated = Ticket.objects.filter(pk=ticket.pk).exclude(unread_count=0)
    if updated.update(unread_count=0, updated_at=timezone.now()):
        ticket.unread_count = 0
        publish(_unchanged_audience(ticket))
    return ticket


@transaction.atomic
def ticket_tags_set(*, ticket: Ticket, by: User, tag_ids: Sequence[int]) -> list[Tag]:
    """Replace the tags of the ticket's CONTACT (tags belong to contacts); each tag added or
    removed is recorded on this ticket's timeline."""
    contact = ticket.contact
    before = {tag.pk: tag for tag in contact.tags.all()}
    tags = contact_tags_set(contact=contact, tag_ids=tag_ids)
    after = {tag.pk: tag for tag in tags}
    for pk in sorted(after.keys() - before.keys()):
        events.event_tag_changed(
            ticket=ticket, by=by, tag_id=pk, tag_name=after[pk].name, added=True
        )
    for pk in sorted(before.keys() - after.keys()):
        events.event_tag_changed(
            ticket=ticket, by=by, tag_id=pk, tag_name=before[pk].name, added=False
        )
    if before.keys() != after.keys():
        publish(_unchanged_audience(ticket))
    return sorted(tags, key=lambda tag: (tag.name, tag.pk))


@transaction.atomic
def ticket_soft_delete(*, ticket: Ticket, by: User) -> Ticket:
    """Hide a closed ticket everywhere (admins only; restorable, audited).

    Only closed tickets: an active one would keep receiving the contact's messages unseen.
    """
    if not by.is_admin:
        raise AdminRequired()
    current = _locked(ticket)
    if current.deleted_at is not None:
        raise InvalidTicketTransition()
    if current.status != Ticket.Status.CLOSED:
        raise TicketNotClosed()
    current.deleted_at = timezone.now()
    current.save(update_fields=["deleted_at", "updated_at"])
    events.event_ticket_deleted(ticket=current, by=by)
    audit_record("ticket.deleted", actor=by, obj=audit_object(current, label=current.protocol))
    publish(_unchanged_audience(current))
    return _refresh_into(ticket, current)


@transaction.atomic
def ticket_restore(*, ticket: Ticket, by: User) -> Ticket:
    """Bring a soft-deleted ticket back (admins only)."""
    if not by.is_admin:
        raise AdminRequired()
    current = _locked(ticket)
    if current.deleted_at is None:
        raise InvalidTicketTransition()
    current.deleted_at = None
    current.save(update_fields=["deleted_at", "updated_at"])
    events.event_ticket_restored(ticket=current, by=by)
    audit_record("ticket.restored", actor=by, obj=audit_object(current, label=current.protocol))
    publish(_unchanged_audience(current))
    return _refresh_into(ticket, current)


# --------------------------------------------------------------------------- auto-close


def tickets_auto_close_due(*, now: datetime | None = None) -> int:
    """Close the current tenant's tickets idle for ``days_to_close`` days; returns how many.

    Idleness is measured from the last message (for a ticket without one, ``last_message_at``
    is its opening time). Each
    ticket is closed through ``ticket_close(automatic=True)`` in its own transaction, after
    re-checking under the row lock, so a message arriving meanwhile keeps it open and running
    the job twice closes nothing twice. ``days_to_close`` empty disables it.
    """
    days = tenant_setting("days_to_close")
    if not days:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    due = (
        Ticket.objects.exclude(status=Ticket.Status.CLOSED)
        .filter(deleted_at__isnull=True)
        .filter(last_message_at__lt=cutoff)  # never NULL: a silent ticket's is its opening
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    closed = 0
    for pk in list(due):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True)
                .exclude(status=Ticket.Status.CLOSED)
                .filter(pk=pk, deleted_at__isnull=True, last_message_at__lt=cutoff)
                .first()
            )
            if ticket is None:
                continue
            ticket_close(ticket=ticket, by=None, automatic=True)
            closed += 1
    return closed
