"""Reads of flows: the admin's lists, one flow, which flow a connection's tickets get, and
what a graph may point to."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from automation.errors import FlowNotFound, FlowVersionNotFound
from automation.flows.graph import graph_references
from automation.flows.validation import FlowReferences
from automation.models import ConnectionFlow, Flow, FlowMedia, FlowRun, FlowVersion
from connections.models import ChannelConnection
from core.selectors import get_visible_or_404
from tickets.models import Queue, Ticket


def flows_list() -> QuerySet[Flow]:
    """Flows not deleted, by name, with their current version and connections (no N+1)."""
    return (
        Flow.objects.filter(deleted_at__isnull=True)
        .select_related("current_version")
        .prefetch_related(
            Prefetch(
                "connection_links",
                queryset=ConnectionFlow.objects.select_related("connection").order_by("pk"),
            )
        )
    )


def flow_get(*, public_id: Any) -> Flow:
    """One flow that is not deleted; 404 ``flow_not_found`` otherwise."""
    return get_visible_or_404(flows_list(), FlowNotFound, public_id=public_id)


def flow_version_get(*, flow: Flow, number: Any) -> FlowVersion:
    return get_visible_or_404(flow.versions.all(), FlowVersionNotFound, number=number)


def flow_for_connection(*, connection: ChannelConnection) -> Flow | None:
    """The flow a new ticket of ``connection`` gets: the connection's own when active, else
    the tenant's active default; None when there is none (or it has no saved version)."""
    usable = Flow.objects.filter(
        deleted_at__isnull=True, is_active=True, current_version__isnull=False
    ).select_related("current_version")
    own = usable.filter(connection_links__connection=connection).first()
    if own is not None:
        return own
    if ConnectionFlow.objects.filter(connection=connection).exists():
        return None  # the connection's own flow is paused: it does not fall back
    return usable.filter(is_default=True).first()


# A new ticket without a run yet is left to the bot this long: its first message is processed
# (and the bot attached) right after the ticket is committed, in the same worker.
BOT_ATTACH_GRACE = timedelta(minutes=1)


def flow_runs_for_contact(*, flow: Flow, phone: str) -> bool:
    """Whether ``flow`` runs for a contact with this E.164 ``phone``: a flow with test
    contacts runs only for them (compared exactly, on every channel; no number is not one)."""
    if not flow.test_contacts:
        return True
    return bool(phone) and phone in flow.test_contacts


def flow_holds_ticket(*, ticket: Ticket) -> bool:
    """Whether the bot has this ticket, or is about to take it: its run is still going, or it
    is a new ticket (under ``BOT_ATTACH_GRACE`` old, no run yet) that its connection's flow
    will take with its first message. Distribution and the out-of-hours notice leave such
    tickets to the bot, whose hand-over distributes them."""
    run = FlowRun.objects.filter(ticket_id=ticket.pk).only("ended_at").first()
    if run is not None:
        return run.ended_at is None
    if ticket.created_at < timezone.now() - BOT_ATTACH_GRACE or ticket.connection_id is None:
        return False
    flow = flow_for_connection(connection=ticket.connection)
    return (
        flow is not None
        and not ticket.contact.is_group
        and flow_runs_for_contact(flow=flow, phone=ticket.contact.phone or "")
    )


def flow_references(graph: Any = None) -> FlowReferences:
    """The active queues, active users and flow files of the current tenant (only those the
    graph names, when given)."""
    queues = Queue.objects.filter(is_active=True)
    agents = User.objects.filter(is_active=True)
    media = FlowMedia.objects.all()
    if graph is not None:
        named = graph_references(graph)
        queues = queues.filter(pk__in=[i for i in named["queue"] if isinstance(i, int)])
        agents = agents.filter(pk__in=[i for i in named["agent"] if isinstance(i, int)])
        wanted = [str(i) for i in named["media"] if _is_uuid(i)]
        media = media.filter(public_id__in=wanted)
    return FlowReferences(
        queue_ids=frozenset(queues.values_list("pk", flat=True)),
        agent_ids=frozenset(agents.values_list("pk", flat=True)),
        media_ids=frozenset(str(i) for i in media.values_list("public_id", flat=True)),
    )


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
