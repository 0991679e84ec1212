"""Reads of a connection's routing: where its new tickets go, its greeting and farewell."""

from __future__ import annotations

from connections.models import ChannelConnection
from tickets.models import ConnectionRouting


def connection_routing_get(*, connection: ChannelConnection) -> ConnectionRouting:
    """The connection's routing; an unsaved empty one (no queue, no greeting, no farewell) when
    none was ever stored.

    Free when the connection was fetched with ``select_related("routing")``, one query
    otherwise; either way the answer stays cached on the connection, a missing row included.
    """
    try:
        return connection.routing
    except ConnectionRouting.DoesNotExist:
        return ConnectionRouting(connection_id=connection.pk)
