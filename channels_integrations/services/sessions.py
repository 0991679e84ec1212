"""The session of a connection paired by QR code (WhatsApp QR, through its gateway): the QR
codes the gateway offers, the session's states, and the admins' session actions.

QR codes are secrets of a moment (whoever scans one owns the number): they are kept only in
the tenant's Redis while they can be scanned and pushed to the tenant's admins, never stored
with the inbound event that brought them nor replayed by the socket stream. Session states are
written to the connection's history (``ConnectionSessionEntry``), set its status (connected
while the session is open; an error saying why once it closes), and reach the admins live.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.errors import AdminRequired
from accounts.models import User
from audit.services import audit_record
from channels_integrations.domain_events import (
    ConnectionQrCodeChanged,
    ConnectionSessionChanged,
    ConnectionStatusChanged,
)
from channels_integrations.models import ConnectionSessionEntry
from channels_integrations.providers.base import (
    SESSION_CLOSED,
    SESSION_CONNECTING,
    SESSION_OPEN,
    ChannelProvider,
    InboundSession,
    ProviderError,
)
from channels_integrations.providers.registry import PROVIDERS, provider_for
from connections.errors import ProviderUnreachable
from connections.models import ChannelConnection
from core.event_bus import publish
from core.exceptions import FieldValidationError
from core.redis import redis_client
from tenants.tenancy import redis_key
from tenants.tenant_settings import tenant_setting

logger = logging.getLogger(__name__)

Status = ChannelConnection.Status
# How long a QR code can be scanned (the countdown shown): WhatsApp Web's first code of a
# pairing lasts about 60 seconds and each following one about 20, when the gateway offers
# the next.
QR_FIRST_SECONDS = 60
QR_SECONDS = 20
# The session's history kept per connection (older entries are deleted).
HISTORY_KEPT = 200
_CLOSED_DETAILS: dict[str, str] = {
    ConnectionSessionEntry.Reason.LOGGED_OUT: gettext_noop(
        "The phone logged out: scan a new QR code."
    ),
    ConnectionSessionEntry.Reason.REPLACED: gettext_noop(
        "Another WhatsApp Web session took the number: reconnect to take it back."
    ),
    ConnectionSessionEntry.Reason.FORBIDDEN: gettext_noop("WhatsApp refused the session."),
}


def _qr_key(connection_id: int) -> str:
    return redis_key("connection-qr", connection_id)


def connection_qr_current(*, connection_id: int) -> dict[str, Any] | None:
    """The QR code now offered for the connection (``image``, ``count``, ``pairing_code``,
    ``expires_at`` in epoch seconds), or None."""
    raw = redis_client().get(_qr_key(connection_id))
    if not raw:
        return None
    data: dict[str, Any] = json.loads(raw)
    return data


def _qr_keep(connection: ChannelConnection, item: InboundSession) -> None:
    seconds = QR_FIRST_SECONDS if item.qr_count <= 1 else QR_SECONDS
    expires = timezone.now().timestamp() + seconds
    data = {
        "image": item.qr_image,
        "count": item.qr_count,
        "pairing_code": item.pairing_code,
        "expires_at": int(expires),
    }
    redis_client().set(_qr_key(connection.pk), json.dumps(data), ex=seconds)
    publish(ConnectionQrCodeChanged(connection_id=connection.pk))


def _qr_forget(connection: ChannelConnection) -> None:
    redis_client().delete(_qr_key(connection.pk))


def _status_detail(reason: str) -> str:
    detail = _CLOSED_DETAILS.get(reason, "")
    return _(detail) if detail else _("The phone is disconnected: reconnect it.")


def _entry_add(
    connection: ChannelConnection, item: InboundSession, *, by: User | None = None
) -> ConnectionSessionEntry:
    entry = ConnectionSessionEntry.objects.create(
        connection=connection,
        state=item.state,
        reason=item.reason if item.state == SESSION_CLOSED else "",
        number=item.number[:32],
        profile_name=item.profile_name[:120],
        actor=by,
    )
    stale = ConnectionSessionEntry.objects.filter(connection=connection).values_list(
        "pk", flat=True
    )[HISTORY_KEPT:]
    ConnectionSessionEntry.objects.filter(pk__in=list(stale)).delete()
    return entry


def connection_session_update(
    *, connection: ChannelConnection, item: InboundSession, by: User | None = None
) -> ChannelConnection:
    """Apply what the gateway reported (or answered an admin's action): a QR code to show, or
    a state: history entry, status and details, live to the admins."""
    if item.qr_image:
        _qr_keep(connection, item)
    if not item.state:
        return connection
    with transaction.atomic():
        locked = ChannelConnection.objects.select_for_update().get(pk=connection.pk)
        details = dict(locked.details)
        was_open = details.get("session_state") == SESSION_OPEN
        if item.state == details.get("session_state") and (
            item.state != SESSION_OPEN or item.number == details.get("number")
        ):
            return locked  # the gateway repeating itself (or confirming an admin's action)
        details["session_state"] = item.state
        if item.state == SESSION_OPEN:
            details.update(number=item.number, profile_name=item.profile_name)
            _qr_forget(locked)  # nothing left to scan
        status, detail = locked.status, locked.status_detail
        if locked.is_active:
            if item.state == SESSION_OPEN:
                status, detail = Status.CONNECTED, ""
            elif item.state == SESSION_CONNECTING:
                status, detail = Status.PENDING, ""
            else:
                status, detail = Status.ERROR, _status_detail(item.reason)
        locked.details = details
        status_changed = (locked.status, locked.status_detail) != (status, detail)
        locked.status, locked.status_detail = status, detail[:500]
        locked.save(update_fields=["details", "status", "status_detail", "updated_at"])
        entry = _entry_add(locked, item, by=by)
        dropped = was_open and item.state == SESSION_CLOSED and by is None
        publish(
            ConnectionSessionChanged(connection_id=locked.pk, entry_id=entry.pk, dropped=dropped)
        )
        if status_changed:
            publish(ConnectionStatusChanged(connection_id=locked.pk))
    return locked


# --------------------------------------------------------------------------- admin actions

SESSION_ACTIONS = ("reconnect", "restart", "logout")


def _session_adapter(connection: ChannelConnection, by: User) -> ChannelProvider:
    if not by.is_admin:
        raise AdminRequired()
    adapter = provider_for(connection.provider) if connection.provider in PROVIDERS else None
    if adapter is None or not adapter.pairs_by_session or not connection.is_active:
        raise FieldValidationError({"action": [_("This connection has no session to act on.")]})
    return adapter


def connection_session_action(
    *, connection: ChannelConnection, by: User, action: str, number: str = ""
) -> ChannelConnection:
    """An admin's action on the session: ``reconnect`` (a new QR code; with ``number``, a
    pairing code for that phone), ``restart`` (the gateway reconnects a paired phone) or
    ``logout`` (the phone is unlinked). 503 ``provider_unreachable`` when the gateway cannot
    be asked; 400 for an unknown action or a number that is not one."""
    adapter = _session_adapter(connection, by)
    digits = "".join(ch for ch in number if ch.isdigit())
    if number and not 8 <= len(digits) <= 15:
        raise FieldValidationError(
            {"number": [_("Type the phone's full number with its country code.")]}
        )
    try:
        if action == "reconnect":
            item = adapter.session_connect(connection, number=digits)
            state = item.state or SESSION_CONNECTING
            item = InboundSession(
                event_id="",
                state=state,
                qr_image=item.qr_image,
                qr_count=item.qr_count,
                pairing_code=item.pairing_code,
            )
        elif action == "restart":
            adapter.session_restart(connection)
            item = InboundSession(event_id="", state=SESSION_CONNECTING)
        elif action == "logout":
            adapter.session_logout(connection)
            item = InboundSession(
                event_id="", state=SESSION_CLOSED, reason=ConnectionSessionEntry.Reason.LOGGED_OUT
            )
        else:
            raise FieldValidationError({"action": [_("Unknown action.")]})
    except ProviderError as exc:
        raise ProviderUnreachable(extra={"reason": exc.detail}) from exc
    if item.state == SESSION_OPEN and not item.number:  # already paired: nothing changes
        item = InboundSession(event_id="")
    updated = connection_session_update(connection=connection, item=item, by=by)
    # The gateway has acted: recorded whether or not the state changed. The phone number of a
    # pairing code is personal data, so only the fact that one was asked for is kept.
    audit_record(
        "connection.session_action",
        actor=by,
        obj=updated,
        extra={"action": action, "pairing_code": bool(digits)},
    )
    return updated


def connection_session_refresh(*, connection: ChannelConnection) -> ChannelConnection:
    """After the gateway's webhook was registered: the tenant's call settings, and the
    session's state as the gateway says (a new instance is connecting; a paired one may be
    open already)."""
    connection_calls_apply(connection=connection)
    adapter = provider_for(connection.provider)
    try:
        state = adapter.session_state(connection)
    except ProviderError as exc:
        logger.info("Session state of %s unknown: %s", connection.public_id, exc.detail)
        return connection
    if state == connection.details.get("session_state"):
        return connection
    number = str(connection.details.get("number") or "")
    return connection_session_update(
        connection=connection,
        item=InboundSession(
            event_id="",
            state=state,
            number=number if state == SESSION_OPEN else "",
            profile_name=str(connection.details.get("profile_name") or ""),
        ),
    )


# --------------------------------------------------------------------------- calls

# The tenant settings a QR connection's gateway instance is given (calls, and groups: a tenant
# that ignores groups is not even sent their messages).
CALL_SETTINGS = ("reject_calls", "call_reject_message", "ignore_group_messages")


def connection_calls_apply(*, connection: ChannelConnection) -> bool:
    """Give the connection's gateway the tenant's call and group settings (``reject_calls``,
    ``call_reject_message``, ``ignore_group_messages``); False when the gateway cannot be told
    now (logged: the next change or reconnection tells it again)."""
    adapter = provider_for(connection.provider) if connection.provider in PROVIDERS else None
    if adapter is None or not adapter.pairs_by_session or not connection.is_active:
        return False
    try:
        adapter.session_calls_set(
            connection,
            reject=bool(tenant_setting("reject_calls")),
            message=str(tenant_setting("call_reject_message") or ""),
            ignore_groups=bool(tenant_setting("ignore_group_messages")),
        )
    except ProviderError as exc:
        logger.warning("Call settings of %s not applied: %s", connection.public_id, exc.detail)
        return False
    return True


def connections_calls_apply() -> int:
    """The call settings to every active QR-code connection of the tenant; how many took them."""
    keys = [key for key in PROVIDERS if provider_for(key).pairs_by_session]
    connections = ChannelConnection.objects.filter(provider__in=keys, is_active=True)
    return sum(connection_calls_apply(connection=connection) for connection in connections)
