"""The web chat visitor's websocket (``/ws/widget/<connection id>/?token=...``): thin.

Authenticated only by the visitor token of that widget: its route skips the session and JWT
layers (tiktickets/routing.py), so an agent's credentials mean nothing here. Joins the visitor's
own group (``visitor_group``) and relays what is pushed there: the replies the webchat provider
sends, the visitor's own messages once stored, and the assigned agent typing. The visitor's own
typing signals go to the agents of their open ticket (at most one a second). A missing, tampered
or foreign token is closed with 4403 before anything is sent; the codes are in docs/realtime.md.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from channels_integrations.services.webchat import (
    webchat_connection_get,
    webchat_visitor_from_token,
    webchat_visitor_typing,
)
from core.exceptions import ApplicationError
from core.signal_throttle import SignalThrottle
from tenants.realtime import (
    CLOSE_FORBIDDEN,
    VISITORS_GROUP,
    visitor_group,
    widget_visitors_group,
)
from tenants.tenancy import group_name, run_in_tenant

TYPING_INTERVAL = 1.0  # seconds between two relayed "typing" signals of one socket
# The channel layer forgets a group member ``group_expiry`` seconds after it joined
# (CHANNEL_LAYERS in the settings): a visitor's socket joins its groups again this many times per
# expiry, so a tab left open for days still hears the agent's replies.
GROUP_REFRESHES_PER_EXPIRY = 3


def _visitor_groups_for(public_id: str, token: str) -> list[str]:
    """The visitor's own group, its widget's and the tenant's visitors' (the last two exist so
    that disabling the widget or suspending the tenant closes the socket); [] when refused."""
    try:
        connection = webchat_connection_get(public_id)
        visitor = webchat_visitor_from_token(connection=connection, token=token)
    except ApplicationError:
        return []
    return [
        visitor_group(connection.pk, visitor.id),
        widget_visitors_group(connection.pk),
        group_name(VISITORS_GROUP),
    ]


def _visitor_typing(public_id: str, token: str, typing: bool) -> None:
    """Relay the visitor's typing signal (the token is checked again: it may have been revoked
    by the widget being disabled since the socket opened)."""
    try:
        connection = webchat_connection_get(public_id)
        visitor = webchat_visitor_from_token(connection=connection, token=token)
    except ApplicationError:
        return
    webchat_visitor_typing(connection=connection, visitor=visitor, typing=typing)


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str] = []
    token = ""
    public_id = ""
    typing: SignalThrottle | None = None
    _keep_groups: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        tenant = self.scope["tenant"]  # set by tenants.asgi (unknown hosts are closed there)
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [""])[0]
        public_id = str(self.scope["url_route"]["kwargs"]["public_id"])
        groups = await run_in_tenant(tenant, _visitor_groups_for, public_id, token)
        if not groups:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.groups_joined = groups
        self.token, self.public_id = token, public_id
        self.typing = SignalThrottle(TYPING_INTERVAL, self._relay_typing)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self._keep_groups = asyncio.create_task(self._refresh_groups())
        await self.accept()
        await self.send_json({"type": "hello"})

    async def _refresh_groups(self) -> None:
        """Join the visitor's groups again every ``group_expiry / GROUP_REFRESHES_PER_EXPIRY``
        seconds (see GROUP_REFRESHES_PER_EXPIRY)."""
        interval = getattr(self.channel_layer, "group_expiry", 86400) / GROUP_REFRESHES_PER_EXPIRY
        while True:
            await asyncio.sleep(interval)
            for group in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        if self._keep_groups is not None:
            self._keep_groups.cancel()
        if self.typing is not None:
            self.typing.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or not self.groups_joined:
            return
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        elif content.get("type") == "typing":
            await self._typing(content.get("typing") is not False)

    async def _typing(self, typing: bool) -> None:
        """At most one "typing" a second, and "stopped" only after a "typing" went out (a
        stream of alternating signals costs no more than a steady one); see SignalThrottle."""
        if self.typing is not None:
            await self.typing.signal("visitor", typing)

    async def _relay_typing(self, _key: str, typing: bool, _extra: Any) -> None:
        await run_in_tenant(
            self.scope["tenant"], _visitor_typing, self.public_id, self.token, typing
        )

    async def webchat_message(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message", "message": event["message"]})

    async def webchat_typing(self, event: dict[str, Any]) -> None:
        """The agent answering this visitor is typing (or stopped)."""
        await self.send_json({"type": "typing", "typing": bool(event["typing"])})

    async def sockets_disconnect(self, event: dict[str, Any]) -> None:
        """The tenant was suspended (4423) or the widget disabled (4403)."""
        await self.close(code=int(event["code"]))
