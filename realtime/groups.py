"""Channel-layer group names, all built through ``tenants.tenancy.group_name`` (so always
prefixed with the tenant's schema), and who joins which.

- ``sockets``: every socket of the tenant (tenant-wide events; "every agent" audiences);
- ``user.<id>``: the sockets of one user;
- ``queue.<id>``: the sockets of the queue's members;
- ``admins``: the sockets of the tenant's admins;
- ``visitor.<connection id>.<visitor id>``: one web chat visitor's sockets, and only those
  (``visitor_group``, defined in ``tenants.realtime`` so the webchat provider can push to it).
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import User
from tenants.realtime import TENANT_SOCKETS_GROUP, USER_SOCKETS_GROUP, visitor_group
from tenants.tenancy import group_name
from tickets.selectors import TicketAudience

__all__ = [
    "admins_group",
    "audience_groups",
    "everyone_group",
    "queue_group",
    "subscriptions_for",
    "user_group",
    "user_groups",
    "visitor_group",
]

ADMINS_GROUP = "admins"
QUEUE_GROUP = "queue"


def everyone_group() -> str:
    return group_name(TENANT_SOCKETS_GROUP)


def admins_group() -> str:
    return group_name(ADMINS_GROUP)


def user_group(user_id: int) -> str:
    return group_name(USER_SOCKETS_GROUP, user_id)


def queue_group(queue_id: int) -> str:
    return group_name(QUEUE_GROUP, queue_id)


def user_groups(user_ids: Iterable[int]) -> list[str]:
    return [user_group(pk) for pk in sorted(set(user_ids))]


def audience_groups(audience: TicketAudience) -> list[str]:
    """The groups that together hold exactly the sockets allowed to see a ticket."""
    groups = [admins_group()]
    if audience.all_agents:
        groups.append(everyone_group())
    groups += [queue_group(pk) for pk in sorted(audience.queue_ids)]
    groups += user_groups(audience.user_ids)
    return groups


def subscriptions_for(user: User) -> list[str]:
    """The groups a socket of ``user`` joins (runs inside the tenant)."""
    groups = [everyone_group(), user_group(user.pk)]
    if user.is_admin:
        groups.append(admins_group())
    queue_ids = user.queues.order_by("pk").values_list("pk", flat=True)
    groups += [queue_group(pk) for pk in queue_ids]
    return groups
