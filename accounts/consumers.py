"""The agents' websocket entry (/ws/): authenticate, subscribe, relay. No domain logic here."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.models import User
from tenants.realtime import CLOSE_UNAUTHENTICATED, TENANT_SOCKETS_GROUP, USER_SOCKETS_GROUP
from tenants.tenancy import current_schema, group_name, run_in_tenant


def _subscriptions(user: User) -> tuple[list[str], dict[str, Any]]:
    """Groups the user's socket joins, and the greeting it receives (runs in the tenant)."""
    groups = [group_name(TENANT_SOCKETS_GROUP), group_name(USER_SOCKETS_GROUP, user.pk)]
    hello = {
        "user": {"id": user.pk, "name": user.name, "email": user.email, "role": user.role},
        "tenant": current_schema(),
    }
    return groups, hello


class AgentConsumer(AsyncJsonWebsocketConsumer):
    """Accepts only an authenticated, active user of the host's tenant; others are closed with
    the documented code (docs/websocket.md)."""

    subscribed: list[str]
    _expiry: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.subscribed = []
        user = self.scope.get("user")
        close_code = self.scope.get("auth_close_code")
        if close_code is not None or user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=close_code or CLOSE_UNAUTHENTICATED)
            return
        groups, hello = await run_in_tenant(self.scope["tenant"], _subscriptions, user)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.subscribed = groups
        await self.accept()
        expires_at = self.scope.get("auth_expires_at")
        if expires_at is not None:
            self._expiry = asyncio.create_task(self._close_at(expires_at))
        await self.send_json({"type": "hello", "data": hello})

    async def _close_at(self, expires_at: float) -> None:
        """A socket opened with a JWT lives no longer than the token."""
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def disconnect(self, code: int) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        for group in self.subscribed:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "data": {"ts": time.time()}})

    async def sockets_disconnect(self, event: dict[str, Any]) -> None:
        """Group message: the tenant was suspended or the user deactivated."""
        await self.close(code=int(event["code"]))
