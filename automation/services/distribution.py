"""Automatic distribution: a waiting ticket of a queue is handed to one of the queue's online
agents by the queue's rule (round-robin, least busy, by capacity), when it enters the queue
(from a connection or a transfer) and when an agent comes online with tickets waiting.

Concurrency: each distribution locks its queue row, so one queue hands out one ticket at a
time, and then locks the eligible agents' rows in id order before counting their tickets, so
distributions of different queues never give an agent more than the capacity allows and never
deadlock (every transaction takes queue, then agents by ascending id). The load that counts is
every pending or open ticket assigned to the agent, in any queue.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from accounts.presence import ONLINE, presence_statuses
from automation.models import DistributionTurn
from automation.selectors.flows import flow_holds_ticket
from tickets.models import Queue, Ticket
from tickets.services.tickets import ticket_assign_automatically

Mode = Queue.Distribution
# Tickets handed out per queue when an agent comes online (the rest wait for the next event).
BACKLOG_LIMIT = 200
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _waiting(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related("queue")
        .filter(
            pk=ticket_id,
            status=Ticket.Status.PENDING,
            assignee__isnull=True,
            deleted_at__isnull=True,
            queue__isnull=False,
        )
        .first()
    )


def _loads(agent_ids: list[int]) -> dict[int, int]:
    """Pending or open tickets assigned to each agent (0 for the idle ones)."""
    rows = (
        Ticket.objects.filter(assignee_id__in=agent_ids, deleted_at__isnull=True)
        .exclude(status=Ticket.Status.CLOSED)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    loads = dict.fromkeys(agent_ids, 0)
    loads.update({row["assignee_id"]: row["n"] for row in rows})
    return loads


def _order(queue: Queue, agent_ids: list[int], loads: dict[int, int]) -> list[int]:
    """Candidates in the queue's order of preference; ties go to the agent whose last
    automatic ticket from this queue is oldest, then to the lowest id."""
    turns = dict(
        DistributionTurn.objects.filter(queue=queue, agent_id__in=agent_ids).values_list(
            "agent_id", "last_assigned_at"
        )
    )

    def turn(pk: int) -> datetime:
        return turns.get(pk) or _EPOCH

    if queue.distribution == Mode.ROUND_ROBIN:
        return sorted(agent_ids, key=lambda pk: (turn(pk), pk))
    if queue.distribution == Mode.CAPACITY:
        capacity = queue.agent_capacity or 0
        return sorted(agent_ids, key=lambda pk: (-(capacity - loads[pk]), turn(pk), pk))
    return sorted(agent_ids, key=lambda pk: (loads[pk], turn(pk), pk))  # least busy


@transaction.atomic
def ticket_distribute(*, ticket_id: int) -> User | None:
    """Give a waiting ticket to an online agent of its queue by the queue's rule; the agent, or
    None (the ticket is not waiting, the queue does not distribute, nobody online has room).

    Only active members of the queue whose presence is online (not away, not offline) are
    candidates; agents without any ticket are candidates like the others. With a capacity, an
    agent holding that many pending or open tickets is skipped.
    """
    ticket = _waiting(ticket_id)
    queue_id = ticket.queue_id if ticket is not None else None
    if queue_id is None:
        return None
    queue = Queue.objects.select_for_update().get(pk=queue_id)
    if queue.distribution == Mode.NONE or not queue.is_active:
        return None
    # Re-read under the queue lock: the previous holder may just have given this ticket away.
    ticket = _waiting(ticket_id)
    if ticket is None or ticket.queue_id != queue.pk:
        return None
    if flow_holds_ticket(ticket=ticket):
        return None  # the bot's hand-over distributes it
    members = list(queue.members.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    statuses = presence_statuses(members)
    online = [pk for pk in members if statuses.get(pk) == ONLINE]
    if not online:
        return None
    agents = {
        agent.pk: agent
        for agent in User.objects.select_for_update().filter(pk__in=online).order_by("pk")
    }
    loads = _loads(list(agents))
    capacity = queue.agent_capacity
    eligible = [pk for pk in agents if capacity is None or loads[pk] < capacity]
    if not eligible:
        return None
    agent = agents[_order(queue, eligible, loads)[0]]
    if not ticket_assign_automatically(ticket=ticket, agent=agent, mode=queue.distribution):
        return None  # picked or moved meanwhile
    DistributionTurn.objects.update_or_create(
        queue=queue, agent=agent, defaults={"last_assigned_at": timezone.now()}
    )
    return agent


def queue_backlog_distribute(*, queue_id: int, limit: int = BACKLOG_LIMIT) -> int:
    """Hand out a queue's waiting tickets, oldest first, until nobody has room; how many.

    Each ticket is distributed in its own transaction (``ticket_distribute``)."""
    waiting = (
        Ticket.objects.filter(
            queue_id=queue_id,
            status=Ticket.Status.PENDING,
            assignee__isnull=True,
            deleted_at__isnull=True,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    given = 0
    for ticket_id in list(waiting):
        if ticket_distribute(ticket_id=ticket_id) is None:
            break
        given += 1
    return given


def agent_backlog_distribute(*, user_id: int) -> int:
    """An agent came online: hand out the tickets waiting in each of their distributing
    queues (to them or to colleagues, by each queue's rule); how many were given."""
    queue_ids = list(
        Queue.objects.filter(members__pk=user_id, is_active=True)
        .exclude(distribution=Mode.NONE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(queue_backlog_distribute(queue_id=queue_id) for queue_id in queue_ids)
