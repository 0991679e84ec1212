"""The web chat visitor's websocket (``/ws/widget/<connection id>/?token=...``): thin.

Authenticated only by the visitor token of that widget: its route skips the session and JWT
layers (tiktickets/routing.py), so an agent's credentials mean nothing here. Joins the visitor's
own group (``visitor_group``) and relays what is pushed there: the replies the webchat provider
sends, and the visitor's own messages once stored. A missing, tampered or foreign token is
closed with 4403 before anything is sent; the codes are in docs/realtime.md.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from channels_integrations.services.webchat import (
    webchat_connection_get,
    webchat_visitor_from_token,
)
from core.exceptions import ApplicationError
from tenants.realtime import CLOSE_FORBIDDEN, visitor_group
from tenants.tenancy import run_in_tenant


def _visitor_group_for(public_id: str, token: str) -> str | None:
    try:
        connection = webchat_connection_get(public_id)
        visitor = webchat_visitor_from_token(connection=connection, token=token)
    except ApplicationError:
        return None
    return visitor_group(connection.pk, visitor.id)


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        tenant = self.scope["tenant"]  # set by tenants.asgi (unknown hosts are closed there)
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [""])[0]
        public_id = str(self.scope["url_route"]["kwargs"]["public_id"])
        group = await run_in_tenant(tenant, _visitor_group_for, public_id, token)
        if group is None:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def webchat_message(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message", "message": event["message"]})
