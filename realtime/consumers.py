"""The agents' and integrators' websocket (/ws/): authenticate, subscribe, relay.

The ASGI stack (tenants/asgi.py, accounts/asgi.py) has already resolved the tenant and the user
by session cookie or tenant-bound JWT; this consumer refuses whoever is not an active user of
that tenant, joins the groups the user may hear (realtime/groups.py), replays what a reconnecting
client missed (``?last_event_id=N``), relays events, and handles presence heartbeats, typing and
viewing. Every database or Redis call runs inside the tenant through ``run_in_tenant``. The
protocol is documented in docs/realtime.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.sessions import InstanceSessionWrapper

from accounts import presence
from accounts.models import User
from channels_integrations.services.webchat import webchat_typing_groups
from core.signal_throttle import SignalThrottle
from realtime.broadcast import ephemeral, ephemeral_frame, group_send_all
from realtime.channel_layer import ProcessChannelLayer
from realtime.groups import audience_groups, subscriptions_for
from realtime.stream import events_since, stream_last_id
from realtime.viewing import viewers_of, viewing_start, viewing_stop
from tenants.realtime import CLOSE_UNAUTHENTICATED, session_group
from tenants.tenancy import current_schema, run_in_tenant
from tickets.errors import TicketNotFound
from tickets.models import Ticket
from tickets.selectors import ticket_audience, ticket_by_public_id, ticket_get_for_agent
from tickets.services import ticket_permissions

RECENT_IDS = 1024  # ids already relayed, to drop the copies a socket gets through two groups
RECENT_NONCES = 64  # signals already relayed (typing, viewers), for the same reason
TYPING_INTERVAL = 1.0  # seconds between two typing signals of one socket for one ticket
# The channel layer forgets a group member ``group_expiry`` seconds after it joined
# (tiktickets/settings/base.py, CHANNEL_LAYERS): an open socket joins its groups again this many
# times per expiry, so it never falls silently out of them however long it stays open.
GROUP_REFRESHES_PER_EXPIRY = 3


def _frame_sender(send: Any) -> Any:
    """The ASGI send under channels' session wrapper, for websocket frames.

    The wrapper saves the session and sets its cookie on ``http.response.start`` only; for
    every frame it still reads the session's state (``modified``, ``is_empty()``) through
    Django's lazy object, for nothing. Frames go round it; the accept and the close still go
    through it.
    """
    wrapper = getattr(send, "__self__", None)
    return wrapper.real_send if isinstance(wrapper, InstanceSessionWrapper) else send


def _connect(
    user: User, channel: str, session_key: str | None
) -> tuple[list[str], list[str], dict[str, Any]]:
    """Subscriptions, fixed groups and greeting of a new socket; marks the user present. A
    socket opened with a dashboard session also joins that session's group for its whole life
    (closed when the session signs out)."""
    groups = subscriptions_for(user)
    fixed = [session_group(session_key)] if session_key else []
    status = presence.presence_touch(user_id=user.pk, channel=channel)
    hello = {
        "user": {"id": user.pk, "name": user.name, "email": user.email, "role": user.role},
        "tenant": current_schema(),
        "status": status,
        "last_event_id": stream_last_id(),
        "heartbeat_interval": max(5, int(presence.presence_ttl() / 3)),
    }
    return groups, fixed, hello


def _ticket_for(user: User, public_id: Any) -> Ticket | None:
    """The ticket if ``user`` may see it (same selector as the API), else None."""
    try:
        return ticket_get_for_agent(user=user, public_id=str(public_id))
    except TicketNotFound:
        return None


def _viewers_update(user: User, channel: str, public_id: Any, start: bool) -> Any:
    # Stopping needs no visibility: a ticket transferred out of the viewer's queues must drop
    # them from its viewers, or its new agent keeps seeing them "on" it.
    ticket = _ticket_for(user, public_id) if start else ticket_by_public_id(str(public_id))
    if ticket is None:
        return None
    if start:
        viewing_start(ticket_id=ticket.pk, user_id=user.pk, channel=channel)
    else:
        viewing_stop(ticket_id=ticket.pk, user_id=user.pk, channel=channel)
    data = {"ticket": str(ticket.public_id), "viewers": viewers_of(ticket.pk)}
    return data, audience_groups(ticket_audience(ticket))


def _typing(user: User, public_id: Any, typing: bool, note: bool) -> Any:
    """The signal, the agents' groups to relay it to, and the web chat visitor's groups when
    the typist is the one who may reply there (a note being written is no reply)."""
    ticket = _ticket_for(user, public_id)
    if ticket is None:
        return None
    data = {
        "ticket": str(ticket.public_id),
        "user": {"id": user.pk, "name": str(user)},
        "typing": typing,
    }
    replying = not note and ticket_permissions(ticket=ticket, user=user)["send_message"]
    visitors = webchat_typing_groups(ticket) if replying else []
    return data, audience_groups(ticket_audience(ticket)), visitors


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """Accepts only an authenticated, active user of the host's tenant; others are closed with
    the documented code (docs/realtime.md)."""

    subscribed: list[str]
    user: User | None = None
    _expiry: asyncio.Task[None] | None = None
    _keep_groups: asyncio.Task[None] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' consumer entry, reading the socket's channel with the layer's own dispatch
        loop (``ProcessChannelLayer.dispatch_local``): no task per event and socket, and the
        events buffered for the socket handed to ``dispatch`` in one go, their frames leaving
        in one write. Another layer (none in the settings) gets channels' loop."""
        self._send_frame = _frame_sender(send)
        layer = get_channel_layer(self.channel_layer_alias)
        if not isinstance(layer, ProcessChannelLayer):
            await super().__call__(scope, receive, send)
            return
        self.scope = scope
        self.channel_layer = layer
        self.channel_name = await layer.new_channel()
        self.channel_receive = functools.partial(layer.receive, self.channel_name)
        self.base_send = send
        with contextlib.suppress(StopConsumer):  # a handler ended the socket
            await layer.dispatch_local(self.channel_name, receive, self.dispatch)

    async def _send_text(self, text: str) -> None:
        """Send one text frame (already encoded)."""
        await self._send_frame({"type": "websocket.send", "text": text})

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its ``aclose_old_connections()`` before every message.

        That call is a hop to the one database thread for each event and each socket (a third
        of daphne's time at 500 sockets, bench/realtime.py). Relaying touches no database, and
        every handler that does goes through ``run_in_tenant`` (``database_sync_to_async``),
        which closes stale connections around its own call.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.subscribed = []
        self._fixed_groups: list[str] = []
        self._recent: deque[int] = deque(maxlen=RECENT_IDS)
        self._recent_set: set[int] = set()
        self._viewing: str | None = None
        self._typing_throttle = SignalThrottle(TYPING_INTERVAL, self._relay_typing)
        self._recent_nonces: deque[str] = deque(maxlen=RECENT_NONCES)
        # Held while joining or leaving groups, so a refresh never re-joins a group that a
        # re-subscription has just left (a queue the user was taken out of).
        self._groups_lock = asyncio.Lock()
        user = self.scope.get("user")
        close_code = self.scope.get("auth_close_code")
        if close_code is not None or user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=close_code or CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.tenant = self.scope["tenant"]
        session = self.scope.get("session")
        by_session = self.scope.get("auth_expires_at") is None and session is not None
        session_key = session.session_key if by_session else None
        groups, self._fixed_groups, hello = await run_in_tenant(
            self.tenant, _connect, user, self.channel_name, session_key
        )
        for group in groups + self._fixed_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.subscribed = groups
        await self.accept()
        expires_at = self.scope.get("auth_expires_at")
        if expires_at is not None:
            self._expiry = asyncio.create_task(self._close_at(expires_at))
        self._keep_groups = asyncio.create_task(self._refresh_groups())
        await self._send_text(ephemeral_frame("hello", hello))
        last_id = self._last_event_id()
        if last_id is not None:
            await self._replay(last_id)

    def _last_event_id(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            return int(query["last_event_id"][0])
        except (KeyError, ValueError, IndexError):
            return None

    async def _replay(self, last_id: int) -> None:
        """Send what the client missed since ``last_id``, or tell it to resync."""
        missed = await run_in_tenant(self.tenant, events_since, last_id, set(self.subscribed))
        if missed is None:
            current = await run_in_tenant(self.tenant, stream_last_id)
            await self._send_text(ephemeral_frame("resync", {"last_event_id": current}))
            return
        for frame in missed:
            await self._relay(frame.id, frame.type, frame.text)

    async def _close_at(self, expires_at: float) -> None:
        """A socket opened with a JWT lives no longer than the token."""
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _refresh_groups(self) -> None:
        """Join this socket's groups again every ``group_expiry / GROUP_REFRESHES_PER_EXPIRY``
        seconds (see GROUP_REFRESHES_PER_EXPIRY)."""
        expiry = getattr(self.channel_layer, "group_expiry", 86400)  # channels' default
        interval = expiry / GROUP_REFRESHES_PER_EXPIRY
        while True:
            await asyncio.sleep(interval)
            async with self._groups_lock:
                for group in self.subscribed + self._fixed_groups:
                    await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        if self._keep_groups is not None:
            self._keep_groups.cancel()
        if self._expiry is not None:
            self._expiry.cancel()
        self._typing_throttle.cancel()
        async with self._groups_lock:
            for group in self.subscribed + self._fixed_groups:
                await self.channel_layer.group_discard(group, self.channel_name)
        if self.user is not None:
            if self._viewing is not None:
                await self._view(self._viewing, start=False)
            await run_in_tenant(
                self.tenant,
                presence.presence_leave,
                user_id=self.user.pk,
                channel=self.channel_name,
            )

    # ------------------------------------------------------------------ from the client

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.user is None or not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ping":
            await self._send_text(ephemeral_frame("pong", {}))
        elif kind == "heartbeat":
            await self._heartbeat(str(content.get("status") or presence.ONLINE))
        elif kind == "typing":
            await self._typing(
                content.get("ticket"),
                bool(content.get("typing", True)),
                note=content.get("note") is True,
            )
        elif kind == "viewing":
            await self._switch_viewing(content.get("ticket"))
        else:
            error = {"code": "unknown_type", "message": "Unknown message type."}
            await self._send_text(ephemeral_frame("error", error))

    async def _heartbeat(self, status: str) -> None:
        if self.user is None:
            return
        await run_in_tenant(
            self.tenant,
            presence.presence_touch,
            user_id=self.user.pk,
            channel=self.channel_name,
            status=status,
        )
        if self._viewing is not None:  # keep the viewing mark alive with the socket
            await run_in_tenant(
                self.tenant, _viewers_update, self.user, self.channel_name, self._viewing, True
            )

    async def _typing(self, ticket: Any, typing: bool, *, note: bool) -> None:
        if self.user is None:
            return
        await self._typing_throttle.signal(str(ticket), typing, note)

    async def _relay_typing(self, ticket: str, typing: bool, note: Any) -> None:
        found = await run_in_tenant(self.tenant, _typing, self.user, ticket, typing, bool(note))
        if found is not None:
            data, groups, visitors = found
            await ephemeral("typing", data, groups, sender=self.channel_name)
            # The visitor's widget hears only that someone is typing: no name, no ticket.
            await group_send_all(visitors, {"type": "webchat.typing", "typing": typing})

    async def _switch_viewing(self, ticket: Any) -> None:
        if self._viewing is not None and str(ticket) != self._viewing:
            await self._view(self._viewing, start=False)
            self._viewing = None
        if ticket and await self._view(str(ticket), start=True):
            self._viewing = str(ticket)

    async def _view(self, ticket: str, *, start: bool) -> bool:
        if self.user is None:
            return False
        found = await run_in_tenant(
            self.tenant, _viewers_update, self.user, self.channel_name, ticket, start
        )
        if found is None:
            return False
        data, groups = found
        await ephemeral("ticket.viewers", data, groups)
        return True

    # ------------------------------------------------------------------ from the groups

    async def _relay(self, event_id: int, event_type: str, text: str) -> None:
        """Send a numbered event's frame, once per socket whatever the groups it came through.
        ``text`` is sent as it is: it was encoded once for every socket (realtime/broadcast.py)."""
        if event_id in self._recent_set:
            return
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(event_id)
        self._recent_set.add(event_id)
        if event_type == "access.changed":
            await self._resubscribe()
        await self._send_text(text)

    async def _resubscribe(self) -> None:
        """Queue membership or role changed: join and leave groups to match."""
        if self.user is None:
            return
        user = await run_in_tenant(self.tenant, User.objects.get, pk=self.user.pk)
        groups = await run_in_tenant(self.tenant, subscriptions_for, user)
        async with self._groups_lock:
            for group in set(self.subscribed) - set(groups):
                await self.channel_layer.group_discard(group, self.channel_name)
            for group in set(groups) - set(self.subscribed):
                await self.channel_layer.group_add(group, self.channel_name)
            self.subscribed = groups
        self.user = user

    async def realtime_event(self, message: dict[str, Any]) -> None:
        await self._relay(message["id"], message["event_type"], message["text"])

    async def realtime_ephemeral(self, message: dict[str, Any]) -> None:
        if message.get("sender") == self.channel_name:
            return
        nonce = message.get("nonce")
        if nonce is not None:
            if nonce in self._recent_nonces:
                return
            self._recent_nonces.append(nonce)
        await self._send_text(message["text"])

    async def sockets_disconnect(self, event: dict[str, Any]) -> None:
        """Group message: the tenant was suspended or the user deactivated."""
        await self.close(code=int(event["code"]))
