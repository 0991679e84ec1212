"""The tenant Django admin for the pipelines' records (inbound events, outbound deliveries,
blocked contacts' messages)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from channels_integrations.models import BlockedMessage, InboundEvent, OutboundDelivery


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


@admin.register(BlockedMessage)
class BlockedMessageAdmin(_ReadOnlyAdmin):
    """Messages of blocked contacts, kept for audit; they never reached a ticket."""

    list_display = ["contact", "connection", "kind", "received_at"]
    list_filter = ["connection"]
    list_select_related = ["contact", "connection"]
    search_fields = ["body", "contact__name"]
