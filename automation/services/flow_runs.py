"""The chatbot on tickets: attach a flow to a new ticket, read each customer answer, send the
node's interactions (delays scheduled, never slept), hand the ticket over (queue, agent,
close, waiting) and move silent tickets on.

Runs in the inbound worker, after the customer's message is committed (the ``MessageCreated``
subscriber in ``tiktickets/event_handlers.py``): one path for every channel. The ticket row is
locked while a step is decided, so two answers of one customer are read one after the other.

The bot steps back for good as soon as a person acts on the ticket (accepts, transfers,
returns, closes or reopens it): those timeline entries after the run started end it.

It runs out of business hours too, unless the ticket's schedule stops it: then, while closed,
it stays silent (the customer gets the out-of-hours notice), does not count answers, and its
inactivity rule waits; the customer's first message once open starts or continues the flow.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from automation.flows.engine import Outcome, RunState, flow_answer, flow_inactive, flow_start
from automation.flows.engine import inactivity_minutes as _inactivity_minutes
from automation.models import Flow, FlowMedia, FlowRun
from automation.selectors.business_hours import BotPause, bot_pause
from automation.selectors.flows import flow_for_connection, flow_runs_for_contact
from connections.providers.registry import UnknownProvider, provider_for
from core.event_bus import DomainEvent, together_memo
from core.exceptions import ApplicationError
from tickets import events
from tickets.domain_events import MessageCreated
from tickets.message_variables import variables_render
from tickets.models import Message, Queue, Ticket, TicketEvent
from tickets.services.automated import message_send_automated
from tickets.services.quick_replies import ticket_variables
from tickets.services.tickets import ticket_close, ticket_transfer

logger = logging.getLogger(__name__)

# Timeline entries that mean a person took the ticket out of the bot's hands.
_HUMAN_KINDS = (
    TicketEvent.Kind.ACCEPTED,
    TicketEvent.Kind.TRANSFERRED,
    TicketEvent.Kind.RETURNED,
    TicketEvent.Kind.CLOSED,
    TicketEvent.Kind.AUTO_CLOSED,
    TicketEvent.Kind.REOPENED,
)


# --------------------------------------------------------------------------- entry points


def _gates(message_ids: list[int]) -> dict[int, bool]:
    """Whether the bot may have something to do with each customer's message: the tenant has
    a usable flow, or the message's ticket has a run (a run only ever starts with a usable
    flow, so a gate read before an earlier message of a batch attached the bot stays right)."""
    rows = (
        Message.objects.filter(pk__in=message_ids, direction=Message.Direction.INBOUND)
        .annotate(
            has_flow=Exists(
                Flow.objects.filter(
                    deleted_at__isnull=True, is_active=True, current_version__isnull=False
                )
            ),
            has_run=Exists(FlowRun.objects.filter(ticket_id=OuterRef("ticket_id"))),
        )
        .values_list("pk", "has_flow", "has_run")
    )
    return {pk: has_flow or has_run for pk, has_flow, has_run in rows}


def _batch_gates(events: Sequence[DomainEvent]) -> dict[int, bool]:
    """The gates of an inbound batch's messages, in one query (a message gone reads False)."""
    ids = [e.message_id for e in events if isinstance(e, MessageCreated)]
    return {**dict.fromkeys(ids, False), **_gates(ids)}


def flow_message_received(*, message_id: int) -> FlowRun | None:
    """A message was stored: when it is a customer's, attach the bot to a new ticket or read
    the answer of a ticket inside it. Returns the ticket's run, if any.

    Every customer message of every tenant comes here: one query answers the common case of a
    tenant without a usable flow and a ticket without a run."""
    gates = together_memo("automation.flow_gates", _batch_gates)
    if gates is not None and message_id in gates:
        gate = gates[message_id]
    else:
        gate = _gates([message_id]).get(message_id, False)
    if not gate:
        return None
    message = (
        Message.objects.select_related("ticket")
        .filter(pk=message_id, direction=Message.Direction.INBOUND, deleted_at__isnull=True)
        .first()
    )
    if message is None:
        return None
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("contact", "connection")
            .get(pk=message.ticket_id)
        )
        run = (
            FlowRun.objects.select_for_update(of=("self",))
            .select_related("version")
            .filter(ticket=ticket)
            .first()
        )
        pause = bot_pause(queue_id=ticket.queue_id, at=_moment(message))
        if run is None:
            return _attach(ticket, message, pause)
        if run.ended_at is not None or message.kind == Message.Kind.REACTION:
            return run  # a reaction to one of the bot's messages is not an answer
        if not _still_in_bot(ticket, run):
            _end(run, ticket, FlowRun.EndReason.TAKEN)
            return run
        if pause is not None:
            _pause(run, ticket, pause)
            return run
        run.paused_period = ""
        if not run.is_started:  # attached while stopped: this message starts the flow
            run.is_started = True
            _apply(run, ticket, flow_start(run.version.graph))
            return run
        state = RunState(run.node_id, run.retries)
        outcome = flow_answer(run.version.graph, state, _answer_text(message))
        _apply(run, ticket, outcome)
        return run


def flow_run_send_delayed(*, run_id: int, step: int, sends: list[dict[str, Any]]) -> int:
    """Send interactions whose delay has passed, if the run is still on the step that
    scheduled them; returns how many were sent now."""
    with transaction.atomic():
        locked = _locked(run_id)
        if locked is None:
            return 0
        run, ticket = locked
        if run.ended_at is not None or run.step != step:
            return 0
        if not _still_in_bot(ticket, run):
            _end(run, ticket, FlowRun.EndReason.TAKEN)
            return 0
        # A new step number: this task delivered twice finds it moved on and sends nothing.
        run.step += 1
        run.save(update_fields=["step", "updated_at"])
        return _send(run, ticket, sends, first_immediate=True)


def _locked(run_id: int) -> tuple[FlowRun, Ticket] | None:
    """The run and its ticket, locked in the order every bot step takes them (ticket first)."""
    ticket_id = FlowRun.objects.filter(pk=run_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        return None
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("contact", "connection")
        .get(pk=ticket_id)
    )
    run = FlowRun.objects.select_for_update(of=("self",)).select_related("version").get(pk=run_id)
    return run, ticket


def flow_runs_inactive_process(*, now: datetime | None = None, limit: int = 500) -> int:
    """Move the current tenant's silent tickets to their flow's inactivity destination and
    tell the customer; returns how many were moved. Each run is handled on its own, so one
    failure leaves the others (and other tenants, which run in their own task) alone."""
    now = now or timezone.now()
    due = list(
        FlowRun.objects.filter(ended_at__isnull=True, inactive_at__lte=now)
        .order_by("inactive_at")
        .values_list("pk", flat=True)[:limit]
    )
    moved = 0
    for run_id in due:
        try:
            moved += _inactive_one(run_id, now)
        except Exception:  # one broken ticket must not stop the job for the rest
            logger.exception("Inactivity of flow run %s failed", run_id)
    return moved


def _inactive_one(run_id: int, now: datetime) -> int:
    with transaction.atomic():
        locked = _locked(run_id)
        if locked is None:
            return 0
        run, ticket = locked
        if run.ended_at is not None or run.inactive_at is None or run.inactive_at > now:
            return 0  # the customer answered meanwhile
        if not _still_in_bot(ticket, run):
            _end(run, ticket, FlowRun.EndReason.TAKEN)
            return 0
        pause = bot_pause(queue_id=ticket.queue_id, at=now)
        if pause is not None:  # the bot is stopped: the silence is counted from the opening
            minutes = _inactivity_minutes(run.version.graph) or 0
            run.inactive_at = pause.until + timedelta(minutes=minutes) if pause.until else None
            run.save(update_fields=["inactive_at", "updated_at"])
            return 0
        _apply(run, ticket, flow_inactive(run.version.graph, RunState(run.node_id, run.retries)))
        return 1


# --------------------------------------------------------------------------- attaching


def _first_inbound(ticket: Ticket, message: Message) -> bool:
    first = (
        Message.objects.filter(ticket=ticket, direction=Message.Direction.INBOUND)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return first == message.pk


def _is_test_contact(flow: Flow, ticket: Ticket) -> bool:
    return flow_runs_for_contact(flow=flow, phone=ticket.contact.phone or "")


def _moment(message: Message) -> datetime:
    """When the customer wrote (the channel's own time when it gives one), as the
    out-of-hours notice reads it."""
    return message.sent_at or message.delivered_at or message.created_at


def _attach(ticket: Ticket, message: Message, pause: BotPause | None) -> FlowRun | None:
    if (
        ticket.status != Ticket.Status.PENDING
        or ticket.assignee_id is not None
        or ticket.deleted_at is not None
        or ticket.contact.is_group
        or not _first_inbound(ticket, message)  # a reopened ticket is not a new conversation
    ):
        return None
    flow = flow_for_connection(connection=ticket.connection)
    if flow is None or flow.current_version is None or not _is_test_contact(flow, ticket):
        return None
    now = timezone.now()
    graph = flow.current_version.graph
    run = FlowRun.objects.create(
        ticket=ticket,
        version=flow.current_version,
        node_id=str(graph.get("start")),
        last_interaction_at=now,
        is_started=pause is None,
    )
    events.event_bot_step(
        ticket=ticket,
        step="attached",
        flow={"id": str(flow.public_id), "name": flow.name},
        version=flow.current_version.number,
    )
    if pause is not None:
        _pause(run, ticket, pause)
        return run
    _apply(run, ticket, flow_start(graph))
    return run


# --------------------------------------------------------------------------- steps


def _still_in_bot(ticket: Ticket, run: FlowRun) -> bool:
    if (
        ticket.status != Ticket.Status.PENDING
        or ticket.assignee_id is not None
        or ticket.deleted_at is not None
    ):
        return False
    return not TicketEvent.objects.filter(
        ticket=ticket, kind__in=_HUMAN_KINDS, created_at__gte=run.created_at
    ).exists()


def _pause(run: FlowRun, ticket: Ticket, pause: BotPause) -> None:
    """The schedule stops the bot: it stays where it is, silent; the timeline says so once
    per closed period."""
    if run.paused_period == pause.period:
        return
    run.paused_period = pause.period
    run.save(update_fields=["paused_period", "updated_at"])
    events.event_bot_step(
        ticket=ticket,
        step="paused_out_of_hours",
        until=pause.until.isoformat() if pause.until else None,
    )


def _answer_text(message: Message) -> str:
    # A file's caption is its answer; a file without one is an empty answer ("any" options
    # take it, others do not understand it).
    return message.body or ""


def _end(run: FlowRun, ticket: Ticket, reason: str) -> None:
    run.ended_at = timezone.now()
    run.end_reason = reason
    run.save(update_fields=["ended_at", "end_reason", "updated_at"])
    if reason == FlowRun.EndReason.TAKEN:
        events.event_bot_step(ticket=ticket, step="left", reason=reason)


def _apply(run: FlowRun, ticket: Ticket, outcome: Outcome) -> None:
    now = timezone.now()
    for step in outcome.steps:
        data = dict(step)
        events.event_bot_step(ticket=ticket, step=data.pop("step"), **data)
    run.step += 1
    run.last_interaction_at = now
    if outcome.state is not None:
        run.node_id, run.retries = outcome.state.node_id, outcome.state.retries
        minutes = _inactivity_minutes(run.version.graph)
        run.inactive_at = now + timedelta(minutes=minutes) if minutes else None
        run.save()
        _send(run, ticket, outcome.sends, first_immediate=False)
        return
    run.ended_at, run.end_reason, run.inactive_at = now, outcome.end_reason, None
    run.save()
    _send(run, ticket, outcome.sends, first_immediate=True)
    if outcome.handoff is not None:
        _handoff(ticket, outcome.handoff)


def _handoff(ticket: Ticket, action: dict[str, Any]) -> None:
    kind = action.get("type")
    try:
        if kind == "queue":
            queue = Queue.objects.filter(pk=int(action.get("queue") or 0), is_active=True).first()
            if queue is None:
                raise ApplicationError(code="queue_missing")
            if queue.pk != ticket.queue_id:
                ticket_transfer(ticket=ticket, by=None, to_queue=queue)
            else:
                _distribute_after_commit(ticket)
        elif kind == "agent":
            agent = User.objects.filter(pk=int(action.get("agent") or 0), is_active=True).first()
            if agent is None:
                raise ApplicationError(code="agent_missing")
            ticket_transfer(ticket=ticket, by=None, to_agent=agent)
        elif kind == "close":
            ticket_close(ticket=ticket, by=None)
        else:  # "waiting for an agent": in its queue, as the bot found it
            _distribute_after_commit(ticket)
        events.event_bot_step(ticket=ticket, step="handed_over", action=action)
    except ApplicationError as exc:
        # The destination went away after the flow was saved: the ticket waits for a person.
        logger.warning("Bot hand-over of ticket %s failed: %s", ticket.pk, exc.code)
        events.event_bot_step(ticket=ticket, step="handoff_failed", action=action, code=exc.code)


def _distribute_after_commit(ticket: Ticket) -> None:
    """The bot let go of a ticket without moving it (a transfer distributes by itself): hand
    it to an online agent of its queue when the queue distributes."""
    from automation.tasks import ticket_distribute_task

    ticket_id = ticket.pk
    transaction.on_commit(lambda: ticket_distribute_task.delay(ticket_id))


# --------------------------------------------------------------------------- sending


def _send(
    run: FlowRun, ticket: Ticket, sends: list[dict[str, Any]], *, first_immediate: bool
) -> int:
    """Send interactions in order until one has a delay, then schedule the rest (Celery
    countdown) on this step; returns how many were sent now."""
    sent = 0
    for index, interaction in enumerate(sends):
        delay = int(interaction.get("delay_ms") or 0)
        if delay > 0 and not (first_immediate and index == 0):
            rest = [dict(i) for i in sends[index:]]
            transaction.on_commit(
                partial(_schedule, run.pk, run.step, rest, delay / 1000), robust=True
            )
            break
        _interaction_send(ticket, interaction)
        sent += 1
    return sent


def _schedule(run_id: int, step: int, sends: list[dict[str, Any]], seconds: float) -> None:
    from automation.tasks import flow_run_send_delayed_task

    flow_run_send_delayed_task.apply_async(args=(run_id, step, sends), countdown=seconds)


def _render(text: str, ticket: Ticket) -> str:
    # The bot has no agent: ``{{agent.name}}`` stays visible, as unknown variables do.
    return variables_render(text, ticket_variables(ticket))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _caption_allowed(ticket: Ticket, kind: str) -> bool:
    try:
        return kind in provider_for(ticket.connection.provider).caption_kinds
    except UnknownProvider:
        return False


def _interaction_send(ticket: Ticket, interaction: dict[str, Any]) -> None:
    if interaction.get("type") == "text":
        text = _render(str(interaction.get("text") or ""), ticket).strip()
        if text:
            message_send_automated(ticket=ticket, body=text)
        return
    media_id = str(interaction.get("media") or "")
    media = FlowMedia.objects.filter(public_id=media_id).first() if _is_uuid(media_id) else None
    caption = _render(str(interaction.get("caption") or ""), ticket).strip()
    if media is None:  # validated at save; a file removed since is skipped, its caption kept
        if caption:
            message_send_automated(ticket=ticket, body=caption)
        return
    together = _caption_allowed(ticket, media.kind)
    with media.file.open("rb") as handle:
        message_send_automated(
            ticket=ticket,
            body=caption if together else "",
            media=handle,
            media_name=media.name,
            media_mime=media.mime,
            media_kind=media.kind,
        )
    if caption and not together:  # this channel cannot caption a file: the text follows it
        message_send_automated(ticket=ticket, body=caption)
