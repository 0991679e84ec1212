"""The tenant Django admin for channel connections.

Credentials are never shown, not in lists, forms or history: the list says only whether they are
configured. They are set through the connections API, which validates them with the provider.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from channels_integrations.models import ChannelConnection, InboundEvent, OutboundDelivery


@admin.register(ChannelConnection)
class ChannelConnectionAdmin(admin.ModelAdmin[ChannelConnection]):
    list_display = ["name", "provider", "status", "default_queue", "is_active", "credentials_state"]
    list_filter = ["provider", "status", "is_active"]
    list_select_related = ["default_queue"]
    search_fields = ["name"]
    exclude = ["credentials_encrypted", "webhook_token"]
    fields = [
        "public_id",
        "provider",
        "name",
        "status",
        "status_detail",
        "credentials_state",
        "default_queue",
        "greeting_message",
        "farewell_message",
        "is_active",
        "created_at",
        "updated_at",
    ]
    # Provider, status and activation change through the connection services (the API), which
    # keep the webhook routes and the provider's webhook registration in step.
    readonly_fields = [
        "public_id",
        "provider",
        "status",
        "status_detail",
        "is_active",
        "credentials_state",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("credentials"))
    def credentials_state(self, connection: ChannelConnection) -> str:
        return str(_("configured") if connection.credentials_encrypted else _("empty"))

    def has_delete_permission(self, request: object, obj: ChannelConnection | None = None) -> bool:
        return False  # connections are deactivated, never deleted: tickets live on them


class _ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Pipeline records are written by the pipelines only; admins look, never edit."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(InboundEvent)
class InboundEventAdmin(_ReadOnlyAdmin):
    """Webhook items as received: what is stuck (received), what failed and why."""

    list_display = ["provider_event_id", "connection", "kind", "status", "attempts", "created_at"]
    list_filter = ["status", "kind", "connection"]
    list_select_related = ["connection"]
    search_fields = ["provider_event_id"]


@admin.register(OutboundDelivery)
class OutboundDeliveryAdmin(_ReadOnlyAdmin):
    """Outbound sends: pending ones with their next attempt, failures with the provider's reason."""

    list_display = [
        "message",
        "connection",
        "status",
        "attempts",
        "next_attempt_at",
        "error_code",
        "sent_at",
    ]
    list_filter = ["status", "connection"]
    list_select_related = ["connection", "message"]
    search_fields = ["idempotency_key", "provider_message_id"]
