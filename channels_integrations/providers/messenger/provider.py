"""Facebook Messenger adapter (Messenger Platform, Page access token).

Webhook events: https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
Send API: https://developers.facebook.com/documentation/business-messaging/messenger-platform/reference/send-api
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from channels_integrations.providers.meta.messaging_provider import (
    MetaMessagingProvider,
    PageCredentialsSerializer,
)
from channels_integrations.providers.meta.webhooks import MESSENGER_OBJECT


class MessengerProvider(MetaMessagingProvider):
    key = "messenger"
    label = gettext_lazy("Messenger")
    credentials_serializer = PageCredentialsSerializer
    object_type = MESSENGER_OBJECT
    # Messenger webhooks carry the Page id as entry[].id.
    account_id_field = "page_id"
    profile_fields = ("name",)
    # https://developers.facebook.com/documentation/business-messaging/messenger-platform/identity/user-profile
    contact_profile_fields = ("first_name", "last_name", "profile_pic")
    unnamed_contact = gettext_lazy("Messenger user %(id)s")
    # The Send API reacts with any emoji (``sender_action: react``); it has no call that edits or
    # unsends a message the Page sent.
    reaction_emojis = ("👍", "❤️", "😂", "😮", "😢", "🙏")
