"""Facebook Messenger adapter (Messenger Platform, Page access token).

Webhook events: https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
Send API: https://developers.facebook.com/documentation/business-messaging/messenger-platform/reference/send-api
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from channels_integrations.providers.meta.messaging_provider import GRAPH_ID, MetaMessagingProvider
from channels_integrations.providers.meta.webhooks import MESSENGER_OBJECT


class MessengerCredentialsSerializer(serializers.Serializer[dict[str, Any]]):
    """A Facebook Page, its Page access token and the app's secret (webhook signatures; the
    verify token is the platform's, docs/meta-webhooks.md)."""

    page_id = serializers.RegexField(GRAPH_ID, label=gettext_lazy("Page ID"), max_length=32)
    page_access_token = serializers.CharField(
        label=gettext_lazy("Page access token"), max_length=1024
    )
    app_secret = serializers.CharField(label=gettext_lazy("App secret"), max_length=128)


class MessengerProvider(MetaMessagingProvider):
    key = "messenger"
    label = gettext_lazy("Messenger")
    credentials_serializer = MessengerCredentialsSerializer
    object_type = MESSENGER_OBJECT
    # Messenger webhooks carry the Page id as entry[].id.
    account_id_field = "page_id"
    profile_fields = ("name",)
