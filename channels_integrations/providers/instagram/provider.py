"""Instagram messaging adapter (Messenger Platform for Instagram: an Instagram professional
account linked to a Facebook Page, used with the Page access token).

Webhooks: https://developers.facebook.com/documentation/business-messaging/instagram-messaging/webhooks
Send a message: https://developers.facebook.com/documentation/business-messaging/instagram-messaging/features/send-message
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from channels_integrations.providers.meta.credentials import GRAPH_ID
from channels_integrations.providers.meta.messaging_provider import (
    MetaMessagingProvider,
    PageCredentialsSerializer,
)
from channels_integrations.providers.meta.webhooks import INSTAGRAM_OBJECT


class InstagramAccountSerializer(serializers.Serializer[dict[str, Any]]):
    instagram_account_id = serializers.RegexField(
        GRAPH_ID, label=gettext_lazy("Instagram professional account ID"), max_length=32
    )


# DRF lists inherited fields base by base, in the order of the bases: the account comes first
# on the connection form, then the Page fields.
class InstagramCredentialsSerializer(InstagramAccountSerializer, PageCredentialsSerializer):
    """The Instagram professional account, the Page it is linked to, the Page access token and
    the app's secret (webhook signatures; the verify token is the platform's,
    docs/meta-webhooks.md)."""


class InstagramProvider(MetaMessagingProvider):
    key = "instagram"
    label = gettext_lazy("Instagram")
    credentials_serializer = InstagramCredentialsSerializer
    object_type = INSTAGRAM_OBJECT
    # Instagram webhooks carry the Instagram professional account id as entry[].id (and as
    # recipient.id of customer messages), not the Page id.
    account_id_field = "instagram_account_id"
    profile_fields = ("name", "username")
    # https://developers.facebook.com/documentation/business-messaging/instagram-messaging/features/user-profile
    contact_profile_fields = ("name", "username", "profile_pic")
    unnamed_contact = gettext_lazy("Instagram user %(id)s")
    # Instagram accepts one reaction from a business, "love"; no call edits or unsends a message.
    reaction_emojis = ("❤️",)
    reaction_names: ClassVar[dict[str, str]] = {"❤️": "love"}
    # Audio attachments: AAC, M4A, WAV and MP4 only (Instagram Messaging "Send a message");
    # an Ogg or WebM recording is refused in the composer before it is sent.
    audio_mime_types = frozenset({"audio/aac", "audio/mp4", "audio/wav"})
