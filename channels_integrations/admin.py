"""The tenant Django admin for channel connections.

Credentials are never shown, not in lists, forms or history: the list says only whether they are
configured. They are set through the connections API, which validates them with the provider.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from channels_integrations.models import ChannelConnection


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
    readonly_fields = ["public_id", "credentials_state", "created_at", "updated_at"]

    @admin.display(description=_("credentials"))
    def credentials_state(self, connection: ChannelConnection) -> str:
        return str(_("configured") if connection.credentials_encrypted else _("empty"))

    def has_delete_permission(self, request: object, obj: ChannelConnection | None = None) -> bool:
        return False  # connections are deactivated, never deleted: tickets live on them
