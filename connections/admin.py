"""The tenant Django admin for channel connections.

Credentials are never shown, not in lists, forms or history: the list says only whether they are
configured. They are set through the connections API, which validates them with the provider.
The routing of a connection's tickets (default queue, greeting, farewell) has its own page in
the tickets section.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from connections.models import ChannelConnection


@admin.register(ChannelConnection)
class ChannelConnectionAdmin(admin.ModelAdmin[ChannelConnection]):
    list_display = ["name", "provider_name", "status", "is_active", "credentials_state"]
    list_filter = ["provider", "status", "is_active"]
    search_fields = ["name"]
    exclude = ["credentials_encrypted", "webhook_token"]
    fields = [
        "public_id",
        "provider_name",
        "name",
        "status",
        "status_detail",
        "credentials_state",
        "is_active",
        "created_at",
        "updated_at",
    ]
    # Provider, status and activation change through the connection services (the API), which
    # keep the webhook routes and the provider's webhook registration in step.
    readonly_fields = [
        "public_id",
        "provider_name",
        "status",
        "status_detail",
        "is_active",
        "credentials_state",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("provider"), ordering="provider")
    def provider_name(self, connection: ChannelConnection) -> str:
        return connection.provider_label

    @admin.display(description=_("credentials"))
    def credentials_state(self, connection: ChannelConnection) -> str:
        return str(_("configured") if connection.credentials_encrypted else _("empty"))

    def has_delete_permission(self, request: object, obj: ChannelConnection | None = None) -> bool:
        return False  # connections are deactivated, never deleted: tickets live on them
