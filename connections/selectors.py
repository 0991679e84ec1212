"""Reads of channel connections that need nothing above this app (the routing joins live in
``channels_integrations.selectors``)."""

from __future__ import annotations

from django.db.models import QuerySet

from connections.models import ChannelConnection


def connection_choices() -> QuerySet[ChannelConnection]:
    """The tenant's connections by name, with only what a picker shows (the inbox's channel
    filter)."""
    return ChannelConnection.objects.order_by("name").only("public_id", "name", "provider")
