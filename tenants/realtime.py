"""Websocket close codes and the one broadcast that tenancy itself needs: dropping sockets."""

from __future__ import annotations

import hashlib

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tenants.tenancy import group_name

# Close codes of /ws/ (documented in docs/websocket.md).
CLOSE_UNAUTHENTICATED = 4401  # no, invalid or expired credentials, or another tenant's
CLOSE_FORBIDDEN = 4403  # the user is deactivated or may not use this socket
CLOSE_UNKNOWN_TENANT = 4404  # the Host header names no tenant
CLOSE_TENANT_SUSPENDED = 4423  # the tenant is suspended

# Every socket of a tenant joins group_name(TENANT_SOCKETS_GROUP); each user's sockets also join
# group_name(USER_SOCKETS_GROUP, user_id).
TENANT_SOCKETS_GROUP = "sockets"
USER_SOCKETS_GROUP = "user"
# A socket signed in with a dashboard session also joins session_group(<session key>), so signing
# out of that browser closes its sockets (and only them: other devices keep theirs).
SESSION_SOCKETS_GROUP = "session"
# A web chat visitor's sockets join visitor_group(...) and nothing else (not the tenant's
# "sockets": a visitor is not an agent and must not hear the tenant's events).
VISITOR_SOCKETS_GROUP = "visitor"


# Every visitor socket of a tenant also joins group_name(VISITORS_GROUP) and the group of its
# widget, widget_visitors_group(...), so suspending the tenant or disabling the widget closes them.
VISITORS_GROUP = "visitors"


def widget_visitors_group(connection_id: int) -> str:
    """The group of every visitor socket of one web chat widget (schema-prefixed)."""
    return group_name(VISITOR_SOCKETS_GROUP, connection_id)


def visitor_group(connection_id: int, visitor_id: str) -> str:
    """The group of one web chat visitor's sockets on one widget (schema-prefixed). Here, below
    every app, because the webchat provider (channels_integrations) pushes to it and may not
    import ``realtime``; ``realtime.groups`` lists it with the other groups."""
    return group_name(VISITOR_SOCKETS_GROUP, connection_id, visitor_id)


def session_group(session_key: str) -> str:
    """The group of the sockets opened with one dashboard session (schema-prefixed); the key
    itself never leaves the server: the name carries a digest of it."""
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:24]
    return group_name(SESSION_SOCKETS_GROUP, digest)


def sockets_disconnect(group: str, close_code: int) -> None:
    """Ask every socket in ``group`` (a name from ``tenancy.group_name``) to close now."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, {"type": "sockets.disconnect", "code": close_code})
