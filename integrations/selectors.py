"""Reads of the integrations domain: API keys, webhook subscriptions and their delivery log."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from core.selectors import get_visible_or_404
from integrations.errors import ApiKeyNotFound, WebhookDeliveryNotFound, WebhookNotFound
from integrations.models import ApiKey, WebhookDelivery, WebhookSubscription


def api_keys_list() -> QuerySet[ApiKey]:
    """Every key of the tenant, newest first, with what the list shows of its relations."""
    return ApiKey.objects.select_related("connection", "created_by", "revoked_by")


def api_key_get(*, public_id: UUID | str) -> ApiKey:
    return get_visible_or_404(api_keys_list(), ApiKeyNotFound, public_id=public_id)


def webhooks_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.all()


def webhooks_disabled() -> QuerySet[WebhookSubscription]:
    """Subscriptions switched off after a day of failures (the dashboard's notice)."""
    return WebhookSubscription.objects.filter(
        is_active=False, disabled_reason=WebhookSubscription.AUTO_DISABLED_REASON
    )


def webhook_get(*, public_id: UUID | str) -> WebhookSubscription:
    return get_visible_or_404(webhooks_list(), WebhookNotFound, public_id=public_id)


def webhook_deliveries_list(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The subscription's deliveries, newest first, each with its attempts (one query)."""
    return WebhookDelivery.objects.filter(subscription=subscription).prefetch_related("log")


def webhook_delivery_get(
    *, subscription: WebhookSubscription, public_id: UUID | str
) -> WebhookDelivery:
    return get_visible_or_404(
        webhook_deliveries_list(subscription=subscription),
        WebhookDeliveryNotFound,
        public_id=public_id,
    )
