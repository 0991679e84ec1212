"""E-mail connections that receive through Mailgun's inbound route (``forward()`` to the
connection's URL, ``/webhooks/email/<token>/``) instead of reading a mailbox.

The delivery's signature is checked by anymail with the connection's own webhook signing key
before anything is read (403 ``webhook_forbidden`` otherwise, nothing stored); each mail is then
kept in the tenant's private storage and its items stored as inbound events exactly as the
mailbox reader stores them (``email_inbound``), then processed by the same pipeline. A mail
delivered twice stores nothing new (its Message-ID).
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from channels_integrations.errors import WebhookForbidden, WebhookMalformed, WebhookUnknown
from channels_integrations.providers.base import WebhookRejected
from channels_integrations.providers.email.provider import EmailProvider
from channels_integrations.providers.registry import provider_for
from channels_integrations.services.email_inbound import EMAIL_PROVIDER, mail_items_of
from channels_integrations.services.inbound import WebhookReceipt, inbound_items_receive
from connections.models import ChannelConnection
from tenants.channel_routes import channel_route_find
from tenants.tenancy import tenant_scope


def email_webhook_receive(*, request: HttpRequest, token: str) -> WebhookReceipt:
    """Verify and store one inbound delivery of the connection named by ``token``."""
    route = channel_route_find(provider=EMAIL_PROVIDER, external_account_id=token)
    if route is None:
        raise WebhookUnknown()
    provider = provider_for(EMAIL_PROVIDER)
    assert isinstance(provider, EmailProvider)  # noqa: S101 - the registry's own entry
    with tenant_scope(route.tenant):
        connection = ChannelConnection.objects.filter(
            public_id=route.connection_public_id, is_active=True
        ).first()
        if connection is None:
            raise WebhookUnknown()
        try:
            provider.verify_request(request, connection)
        except WebhookRejected as exc:
            raise WebhookForbidden() from exc
        try:
            mails = provider.webhook_mails(request, connection)
        except ValueError as exc:
            raise WebhookMalformed() from exc
        stored = total = 0
        for raw in mails:
            items = mail_items_of(connection, raw, uid=0, uid_validity=0)
            total += len(items)
            with transaction.atomic():
                stored += inbound_items_receive(connection=connection, items=items)
    return WebhookReceipt(stored=stored, duplicates=total - stored)
