"""Channel connections: create with credentials the provider accepts, change, enable, disable,
delete, and keep their webhook routes and encrypted credentials in step.

Every function here is for tenant admins (``by`` must be an admin). Provider calls (getMe,
setWebhook) never run inside a database transaction: the row and its routes are committed
first, so a provider that calls the webhook at once already finds them, and the status is then
set from the provider's answer (``connected``, or ``error`` with the reason).
"""

from __future__ import annotations

import logging
import secrets
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import AdminRequired
from accounts.models import User
from audit.services import audit_object, audit_record, changes_diff
from channels_integrations.domain_events import ConnectionStatusChanged
from channels_integrations.models import InboundEvent, OutboundDelivery
from channels_integrations.providers.base import ChannelProvider, ProviderError
from channels_integrations.providers.registry import PROVIDERS, provider_for
from channels_integrations.services.sessions import connection_session_refresh
from connections.errors import (
    ConnectionInUse,
    ConnectionLimitReached,
    CredentialsRejected,
    ProviderNotInstalled,
    ProviderUnreachable,
)
from connections.models import ChannelConnection
from core.event_bus import publish
from core.exceptions import FieldValidationError
from tenants.audit import audit_hash, audit_warning
from tenants.channel_routes import channel_routes_clear, channel_routes_set
from tenants.errors import ChannelAccountTaken
from tenants.models import Tenant
from tenants.realtime import CLOSE_FORBIDDEN, sockets_disconnect, widget_visitors_group
from tenants.tenancy import current_tenant, public_scope
from tickets.models import Queue
from tickets.services.routing import UNSET, connection_routing_set

logger = logging.getLogger(__name__)

Status = ChannelConnection.Status


def _require_admin(by: User) -> None:
    if not by.is_admin:
        raise AdminRequired()


def _details_kept(
    adapter: ChannelProvider | None, current: dict[str, Any], facts: dict[str, Any] | None
) -> dict[str, Any]:
    """The details a check of the credentials found, with the keys the provider keeps across
    checks (set by the dashboard, not by the credentials) carried over."""
    kept = adapter.kept_details if adapter is not None else ()
    return {**{key: current[key] for key in kept if key in current}, **(facts or {})}


def _provider(key: str) -> ChannelProvider:
    if key not in PROVIDERS:
        raise FieldValidationError({"provider": [_("This kind of channel is not available.")]})
    return provider_for(key)


def _adapter_of(connection: ChannelConnection) -> ChannelProvider:
    """The adapter of an existing connection, or 409 ``provider_not_installed`` when this
    installation no longer ships its provider (the row stays editable and can be disabled)."""
    if connection.provider not in PROVIDERS:
        raise ProviderNotInstalled(extra={"provider": connection.provider})
    return provider_for(connection.provider)


def _adapter_or_none(connection: ChannelConnection) -> ChannelProvider | None:
    return provider_for(connection.provider) if connection.provider in PROVIDERS else None


def connection_webhook_url(connection: ChannelConnection) -> str:
    """Where the provider posts this connection's webhooks ("" for providers without any)."""
    provider = _adapter_or_none(connection)
    if provider is None or not provider.webhook_routing or not provider.takes_webhooks(connection):
        return ""
    base = f"{settings.WEBHOOK_BASE_URL}/webhooks/"
    if provider.webhook_routing == "shared":
        return base + provider.shared_webhook_path
    if not connection.webhook_token:
        return ""
    return f"{base}{connection.provider}/{connection.webhook_token}/"


def _credentials_checked(
    provider: ChannelProvider, raw: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validated, completed credentials and the facts the provider reported about them."""
    serializer = provider.credentials_serializer(data=raw)
    if not serializer.is_valid():
        raise FieldValidationError({"credentials": serializer.errors})  # type: ignore[dict-item]
    credentials = provider.credentials_complete(dict(serializer.validated_data))
    try:
        facts = provider.check_credentials(credentials)
    except ProviderError as exc:
        if exc.permanent:
            reasons = [exc.detail]
            fields = {"credentials": {exc.field: reasons} if exc.field else reasons}
            raise CredentialsRejected(extra={"fields": fields, "provider_code": exc.code}) from exc
        raise ProviderUnreachable(extra={"reason": exc.detail}) from exc
    return credentials, facts


def _check_limit(*, lock: bool) -> None:
    """409 ``channel_limit_reached`` when one more active connection exceeds ``max_channels``.

    With ``lock`` (inside a transaction) the tenant row stays locked until commit, so two
    concurrent creations or enables cannot both take the last slot.
    """
    tenant = current_tenant()
    if lock:
        with public_scope():
            Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    if ChannelConnection.objects.filter(is_active=True).count() + 1 > tenant.max_channels:
        raise ConnectionLimitReached(extra={"max_channels": tenant.max_channels})


def _account_keys(provider: ChannelProvider, connection: ChannelConnection) -> list[str]:
    """The provider accounts the connection holds (Meta phone number or page, Telegram bot)."""
    return [
        *provider.route_keys(connection.credentials),
        *provider.account_keys(connection.details),
    ]


def _routes_set(provider: ChannelProvider, connection: ChannelConnection, *, by: User) -> None:
    """Route and claim the connection's accounts (and its webhook URL token): 409
    ``channel_account_taken`` when another connection, in any tenant, holds one of them, and
    the attempt goes to the audit log. Always before any webhook call, so the provider is never
    pointed at us for someone else's account."""
    keys = _account_keys(provider, connection)
    if provider.webhook_routing == "connection":
        keys.append(connection.webhook_token)
    try:
        channel_routes_set(
            provider=connection.provider, connection_public_id=connection.public_id, keys=keys
        )
    except ChannelAccountTaken as exc:
        audit_warning(
            exc.code,
            user_id=by.pk,
            provider=connection.provider,
            account_hash=audit_hash(exc.account_id),
        )
        raise


def _routes_keep_accounts(provider: ChannelProvider, connection: ChannelConnection) -> bool:
    """Stop routing the connection's webhooks but keep holding its accounts, so that nobody
    connects them before the provider has been asked to stop calling us (``_unregister``, then
    ``channel_routes_clear``). False, with no route left, when another connection holds an
    account already (a connection older than the claims): its webhook is not ours to delete."""
    try:
        channel_routes_set(
            provider=connection.provider,
            connection_public_id=connection.public_id,
            keys=_account_keys(provider, connection),
        )
    except ChannelAccountTaken:
        channel_routes_clear(connection_public_id=connection.public_id)
        return False
    return True


def _routes_stop(provider: ChannelProvider | None, connection: ChannelConnection) -> bool:
    """Routes of an active connection that stops receiving; True when the provider is to be
    asked to stop calling (then the routes left are cleared after asking)."""
    if provider is None:  # no adapter to ask: nothing to hold
        channel_routes_clear(connection_public_id=connection.public_id)
        return False
    return _routes_keep_accounts(provider, connection)


def _status_set(connection: ChannelConnection, status: str, detail: str = "") -> None:
    changed = (connection.status, connection.status_detail) != (status, detail[:500])
    connection.status = status
    connection.status_detail = detail[:500]
    if changed:
        ChannelConnection.objects.filter(pk=connection.pk).update(
            status=connection.status, status_detail=connection.status_detail
        )
        publish(ConnectionStatusChanged(connection_id=connection.pk))


def _connect(provider: ChannelProvider, connection: ChannelConnection) -> ChannelConnection:
    """Point the provider's webhook at us (outside any transaction) and record the outcome."""
    try:
        provider.webhook_register(connection, url=connection_webhook_url(connection))
    except ProviderError as exc:
        _status_set(connection, Status.ERROR, exc.detail)
        return connection
    if provider.pairs_by_session:  # connected only once the phone's session is open
        return connection_session_refresh(connection=connection)
    _status_set(connection, Status.CONNECTED)
    return connection


def connection_create(
    *,
    by: User,
    provider: str,
    name: str,
    credentials: dict[str, Any],
    default_queue: Queue | None = None,
    greeting_message: str = "",
    farewell_message: str = "",
) -> ChannelConnection:
    """A new connection whose credentials the provider accepted, routed and connected.

    400 ``validation_error`` for bad input (credential fields under ``credentials``), 422
    ``credentials_rejected`` when the provider refuses them, 503 ``provider_unreachable`` when it
    cannot be asked, 409 ``channel_limit_reached`` beyond the tenant's ``max_channels``, 409
    ``channel_account_taken`` when the account is connected elsewhere; nothing is stored then.
    The webhook registration's outcome is the status: ``connected`` or ``error`` with the reason.
    """
    _require_admin(by)
    adapter = _provider(provider)
    name = name.strip()
    if not name:
        raise FieldValidationError({"name": [_("A name is required.")]})
    _check_limit(lock=False)  # before asking the provider; again under the lock below
    checked, facts = _credentials_checked(adapter, credentials)
    with transaction.atomic():
        _check_limit(lock=True)
        connection = ChannelConnection(
            provider=provider,
            name=name[:80],
            status=Status.PENDING,
            details=facts,
            webhook_token=secrets.token_urlsafe(32)
            if adapter.webhook_routing == "connection"
            else "",
        )
        connection.credentials = checked
        connection.save()
        connection_routing_set(
            connection=connection,
            default_queue=default_queue,
            greeting_message=greeting_message,
            farewell_message=farewell_message,
        )
        _routes_set(adapter, connection, by=by)
        # The credential fields given, never their values.
        audit_record(
            "connection.created",
            actor=by,
            obj=connection,
            extra={"provider": provider, "fields_given": sorted(credentials)},
        )
    publish(ConnectionStatusChanged(connection_id=connection.pk))
    return _connect(adapter, connection)


def connection_update(
    *,
    connection: ChannelConnection,
    by: User,
    name: str | None = None,
    credentials: dict[str, Any] | None = None,
    default_queue: Queue | None = UNSET,
    greeting_message: str | None = None,
    farewell_message: str | None = None,
) -> ChannelConnection:
    """Change the given fields (``None``/unset leaves a field as it is; ``default_queue=None``
    clears it). New credentials are validated and checked with the provider like on create,
    the routes follow them, and an active connection re-registers its webhook."""
    _require_admin(by)
    adapter = _adapter_or_none(connection)
    checked = facts = None
    if credentials is not None:
        adapter = _adapter_of(connection)
        checked, facts = _credentials_checked(adapter, credentials)
    with transaction.atomic():
        locked = ChannelConnection.objects.select_for_update().get(pk=connection.pk)
        name_before = locked.name
        if name is not None:
            if not name.strip():
                raise FieldValidationError({"name": [_("A name is required.")]})
            locked.name = name.strip()[:80]
        if checked is not None:
            locked.credentials = checked
            locked.details = _details_kept(adapter, locked.details, facts)
        locked.save()
        if default_queue is not UNSET or (greeting_message, farewell_message) != (None, None):
            connection_routing_set(
                connection=locked,
                default_queue=default_queue,
                greeting_message=greeting_message,
                farewell_message=farewell_message,
            )
        if adapter is not None and checked is not None and locked.is_active:
            _routes_set(adapter, locked, by=by)
        audit_record(
            "connection.updated",
            actor=by,
            obj=locked,
            changes=changes_diff({"name": name_before}, {"name": locked.name}),
            extra={"credentials_replaced": checked is not None},
        )
    if adapter is not None and checked is not None and locked.is_active:
        _connect(adapter, locked)
    return locked


def connection_enable(*, connection: ChannelConnection, by: User) -> ChannelConnection:
    """Receive and send again: counts against ``max_channels``; routes and webhook restored."""
    _require_admin(by)
    adapter = _adapter_of(connection)
    with transaction.atomic():
        locked = ChannelConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.is_active:
            return locked
        _check_limit(lock=True)
        locked.is_active = True
        locked.save(update_fields=["is_active", "updated_at"])
        audit_record("connection.enabled", actor=by, obj=locked)
        _routes_set(adapter, locked, by=by)
        _status_set(locked, Status.PENDING)
    return _connect(adapter, locked)


def connection_disable(*, connection: ChannelConnection, by: User) -> ChannelConnection:
    """Stop receiving and sending: routes removed at once (webhooks answer 404), the provider
    asked to stop calling (best effort, only for accounts the connection still holds), queued
    messages fail with ``connection_disabled``."""
    _require_admin(by)
    adapter = _adapter_or_none(connection)
    with transaction.atomic():
        locked = ChannelConnection.objects.select_for_update().get(pk=connection.pk)
        if not locked.is_active:
            return locked
        locked.is_active = False
        locked.save(update_fields=["is_active", "updated_at"])
        audit_record("connection.disabled", actor=by, obj=locked)
        holds = _routes_stop(adapter, locked)
        _status_set(locked, Status.DISABLED)
        # A web chat widget's open visitor sockets close (no other provider has any).
        transaction.on_commit(
            partial(sockets_disconnect, widget_visitors_group(locked.pk), CLOSE_FORBIDDEN),
            robust=True,
        )
    if adapter is not None and holds:
        _unregister(adapter, locked)
        channel_routes_clear(connection_public_id=locked.public_id)
    return locked


def _unregister(adapter: ChannelProvider, connection: ChannelConnection) -> None:
    try:
        adapter.webhook_unregister(connection)
    except ProviderError as exc:  # the route is gone anyway: its calls are refused
        logger.info("Webhook of %s not unregistered: %s", connection.public_id, exc.detail)


def connection_delete(*, connection: ChannelConnection, by: User) -> None:
    """Delete a connection that never had a ticket (409 ``connection_in_use`` otherwise:
    disable it instead, tickets live on their connection)."""
    _require_admin(by)
    adapter = _adapter_or_none(connection)
    with transaction.atomic():
        locked = ChannelConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.tickets.exists() or OutboundDelivery.objects.filter(connection=locked).exists():
            raise ConnectionInUse()
        if locked.is_active:
            holds = _routes_stop(adapter, locked)
        else:
            holds = False
            channel_routes_clear(connection_public_id=locked.public_id)
        InboundEvent.objects.filter(connection=locked).delete()
        target = audit_object(locked)
        locked.delete()
        audit_record("connection.deleted", actor=by, obj=target)
    if adapter is not None and holds:
        _unregister(adapter, connection)
        channel_routes_clear(connection_public_id=connection.public_id)


def connection_error_report(*, connection: ChannelConnection, detail: str) -> ChannelConnection:
    """The provider reported an error about the connection's account in a webhook (a
    throughput limit, a payment problem): the connection shows it as its error until an admin
    checks it again (``connection_check``). A disabled connection keeps its status."""
    if connection.is_active:
        _status_set(connection, Status.ERROR, detail)
    return connection


def connection_check(*, connection: ChannelConnection, by: User) -> ChannelConnection:
    """Ask the provider again (credentials, then webhook) and record the status: how an admin
    clears an ``error`` after fixing the cause on the provider's side."""
    _require_admin(by)
    adapter = _adapter_of(connection)
    if not connection.is_active:
        return connection
    try:
        facts = adapter.check_credentials(connection.credentials)
    except ProviderError as exc:
        _status_set(connection, Status.ERROR, exc.detail)
        return connection
    with transaction.atomic():
        locked = ChannelConnection.objects.select_for_update().get(pk=connection.pk)
        facts = _details_kept(adapter, locked.details, facts)
        ChannelConnection.objects.filter(pk=connection.pk).update(details=facts)
    connection.details = facts
    with transaction.atomic():  # a connection older than the claims claims its accounts now
        _routes_set(adapter, connection, by=by)
    return _connect(adapter, connection)
