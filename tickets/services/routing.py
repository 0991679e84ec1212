"""A connection's routing: the queue its new tickets go to, its greeting and its farewell.

Called by the connection services (the admin API and pages), inside their transaction.
"""

from __future__ import annotations

from typing import Any

from connections.models import ChannelConnection
from tickets.message_variables import SYSTEM_TEXT, variables_check
from tickets.models import ConnectionRouting, Queue


class _Unset:
    """Marks an argument the caller did not give (``None`` means "clear")."""


UNSET: Any = _Unset()


def connection_routing_set(
    *,
    connection: ChannelConnection,
    default_queue: Queue | None = UNSET,
    greeting_message: str | None = None,
    farewell_message: str | None = None,
) -> ConnectionRouting:
    """Store the given routing choices (``None``/unset leaves one as it is;
    ``default_queue=None`` clears it), creating the connection's routing row when needed.
    A greeting or farewell using an unknown variable is refused (400, nothing stored)."""
    variables_check(
        {"greeting_message": greeting_message, "farewell_message": farewell_message},
        allowed=SYSTEM_TEXT,
    )
    routing, _created = ConnectionRouting.objects.select_for_update().get_or_create(
        connection=connection
    )
    if default_queue is not UNSET:
        routing.default_queue = default_queue
    if greeting_message is not None:
        routing.greeting_message = greeting_message
    if farewell_message is not None:
        routing.farewell_message = farewell_message
    routing.save()
    connection.routing = routing  # later reads on this instance see the stored values
    return routing
