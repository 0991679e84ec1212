"""WhatsApp Business Platform, Cloud API adapter.

Send messages: https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages
Media: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media
Webhooks: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
Throughput: https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from channels_integrations.providers.base import (
    InboundItem,
    InboundMedia,
    OutboundMessage,
    ProviderError,
)
from channels_integrations.providers.kept_file_ids import KeptFileIds
from channels_integrations.providers.meta.credentials import (
    GRAPH_ID,
    credentials_of,
)
from channels_integrations.providers.meta.errors import whatsapp_error_reason
from channels_integrations.providers.meta.graph import GraphClient, too_large
from channels_integrations.providers.meta.provider import MetaWebhookProvider
from channels_integrations.providers.meta.uploads import outbound_file
from channels_integrations.providers.meta.webhooks import (
    WHATSAPP_OBJECT,
    meta_parse_routed,
    whatsapp_account_route_key,
)
from channels_integrations.providers.whatsapp_cloud.inbound import parse_payload
from channels_integrations.providers.whatsapp_cloud.window import CUSTOMER_SERVICE_WINDOW
from connections.models import ChannelConnection
from tickets.models import Message

_MEDIA_KINDS = frozenset({"image", "audio", "video", "document", "sticker"})
# WhatsApp shows a caption under images, videos and documents only.
_CAPTIONED_KINDS = frozenset({"image", "video", "document"})


class WhatsAppCloudCredentialsSerializer(serializers.Serializer[dict[str, Any]]):
    """What a WhatsApp Cloud API channel needs: the number, a system user token, and the app's
    secret (webhook signatures). The callback's verify token is the platform's
    (``META_VERIFY_TOKEN``, docs/meta-webhooks.md), not the connection's."""

    phone_number_id = serializers.RegexField(
        GRAPH_ID, label=gettext_lazy("Phone number ID"), max_length=32
    )
    access_token = serializers.CharField(label=gettext_lazy("Access token"), max_length=1024)
    app_secret = serializers.CharField(label=gettext_lazy("App secret"), max_length=128)
    # Message templates belong to the WhatsApp Business Account, not to the number: without it
    # the connection sends and receives, and its templates page asks for it.
    business_account_id = serializers.RegexField(
        GRAPH_ID,
        label=gettext_lazy("WhatsApp Business Account ID"),
        help_text=gettext_lazy("Needed to sync and submit message templates."),
        max_length=32,
        required=False,
        allow_blank=True,
    )
    # Nothing else: the number's display form and name come from Graph when the credentials
    # are checked (``profile_fields``, kept in the connection's details), and webhooks are
    # routed by the phone number id, so a field for them would be one that nothing reads.


class WhatsAppCloudProvider(MetaWebhookProvider):
    key = "whatsapp_cloud"
    label = gettext_lazy("WhatsApp (Cloud API)")
    object_type = WHATSAPP_OBJECT
    credentials_serializer = WhatsAppCloudCredentialsSerializer
    # verify_token: connections saved before the callback had its platform token still store one.
    secret_fields = ("access_token", "app_secret", "verify_token")
    # The webhook's entry[].id is the WhatsApp Business Account; the number is in
    # changes[].value.metadata.phone_number_id (see meta.webhooks.meta_route_keys_of).
    account_id_field = "phone_number_id"
    access_token_field = "access_token"  # noqa: S105  (a field name)
    profile_fields = ("display_phone_number", "verified_name", "quality_rating")
    account_not_found = gettext_lazy(
        "The phone number ID %(id)s was not found, or the access token cannot manage it "
        "(%(detail)s)."
    )
    # Cloud API default throughput: 80 messages per second per business phone number.
    rate_limit_per_second = 80.0
    # Any number can be written to, but only with an approved template outside the customer
    # service window (window.py): the composer and the API then offer templates only.
    conversation_reach = "phone"
    free_text_window = CUSTOMER_SERVICE_WINDOW
    sends_templates = True
    window_refusal = gettext_lazy(
        "More than 24 hours since the customer last wrote: WhatsApp accepts only an approved "
        "message template now."
    )
    # The Cloud API has no call that edits or deletes a message already sent; a reaction is a
    # message of type "reaction" (any emoji).
    reaction_emojis = ("👍", "❤️", "😂", "😮", "😢", "🙏")
    # Voice messages: Ogg files with Opus audio only; basic audio: AAC, AMR, MP3, M4A and Ogg
    # (Opus) (Cloud API "Audio messages" and "Supported media types").
    voice_note_mime_types = frozenset({"audio/ogg"})
    # "Media caption text. ... Maximum 1024 characters" (Cloud API, media messages).
    caption_max_length = 1024
    audio_mime_types = frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"})

    def route_keys(self, credentials: dict[str, Any]) -> list[str]:
        """The number, and its business account when given (template reviews are about the
        account). One connection per business account receives those."""
        keys = super().route_keys(credentials)
        if credentials.get("business_account_id"):
            keys.append(whatsapp_account_route_key(str(credentials["business_account_id"])))
        return keys

    def parse_inbound(self, payload: bytes) -> list[InboundItem]:
        return meta_parse_routed(payload, parse_payload)

    def error_reason(self, code: str, detail: str) -> str:
        return whatsapp_error_reason(code, detail)

    def send(self, connection: ChannelConnection, message: OutboundMessage) -> str:
        return self._send(connection, message, reuse=True)

    def _send(self, connection: ChannelConnection, message: OutboundMessage, *, reuse: bool) -> str:
        credentials = credentials_of(connection)
        client = self.graph_client(credentials)
        phone_number_id = str(credentials["phone_number_id"])
        uploads = UploadedMedia(client, phone_number_id, reuse=reuse)
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        phone = message.recipient.lstrip("+")
        if phone.isdigit():
            body["to"] = phone
        else:
            # A business-scoped user id (customer with a username and no known phone number)
            # goes in "recipient" instead of "to".
            body["recipient"] = message.recipient
        if message.template is not None:
            body.update(type="template", template=self._template(uploads, message))
        elif message.kind == Message.Kind.TEXT:
            body.update(type="text", text={"preview_url": False, "body": message.body})
        elif message.kind == Message.Kind.REACTION:
            body.update(
                type="reaction",
                reaction={"message_id": message.quoted_provider_message_id, "emoji": message.body},
            )
        elif message.kind in _MEDIA_KINDS:
            body.update(
                type=message.kind,
                **{message.kind: self._media_object(uploads, message)},
            )
        else:
            raise ProviderError(
                _("WhatsApp cannot send this kind of message (%(kind)s).") % {"kind": message.kind},
                permanent=True,
                code="unsupported_kind",
            )
        if message.quoted_provider_message_id and message.kind != Message.Kind.REACTION:
            body["context"] = {"message_id": message.quoted_provider_message_id}
        try:
            answer = client.post(f"{phone_number_id}/messages", json=body)
        except ProviderError as exc:
            # A kept media id may be what was refused (the upload deleted or expired early).
            if not uploads.kept.forget_used() or not exc.permanent:
                raise  # a temporary failure is retried later, and then uploads the file
            # Refused, so nothing was sent: once more with the file uploaded again.
            return self._send(connection, message, reuse=False)
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError(
                _("WhatsApp accepted the message but returned no message id."),
                permanent=False,
                code="provider_unavailable",
            ) from exc

    def send_read_receipt(
        self, connection: ChannelConnection, *, recipient: str, provider_message_id: str
    ) -> bool:
        """``POST /<phone number id>/messages`` with ``status: read`` and the customer's message
        id: WhatsApp shows the blue ticks on it and on every earlier message.
        https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read
        """
        credentials = credentials_of(connection)
        self.graph_client(credentials).post(
            f"{credentials['phone_number_id']}/messages",
            json={
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": provider_message_id,
            },
        )
        return True

    def _template(self, uploads: UploadedMedia, message: OutboundMessage) -> dict[str, Any]:
        """The template object; a message with a file (a campaign's) names it, uploaded, as
        the media header's parameter (``template_payload(header_from_file=True)`` left the
        header out)."""
        template = dict(message.template or {})
        if not message.media_name:
            return template
        media: dict[str, Any] = {"id": uploads.media_id(message)}
        if message.kind == Message.Kind.DOCUMENT and message.media_filename:
            media["filename"] = message.media_filename
        header = {"type": "header", "parameters": [{"type": message.kind, message.kind: media}]}
        template["components"] = [header, *(template.get("components") or [])]
        return template

    def _media_object(self, uploads: UploadedMedia, message: OutboundMessage) -> dict[str, Any]:
        """Upload the private file and describe it by media id: no URL of ours is exposed."""
        if message.body and message.kind not in _CAPTIONED_KINDS:
            raise ProviderError(
                _("WhatsApp does not show a caption on this kind of message (%(kind)s).")
                % {"kind": message.kind},
                permanent=True,
                code="caption_not_supported",
            )
        media: dict[str, Any] = {"id": uploads.media_id(message)}
        if message.body:
            media["caption"] = message.body
        if message.kind == Message.Kind.DOCUMENT and message.media_filename:
            media["filename"] = message.media_filename
        if (
            message.kind == Message.Kind.AUDIO
            and message.extra.get("voice")
            and message.media_mime_type in self.voice_note_mime_types
        ):
            media["voice"] = True  # a voice message: played inline, transcribed on request
        return media

    def download_media(
        self, connection: ChannelConnection, media: InboundMedia, *, max_bytes: int
    ) -> tuple[bytes, str]:
        credentials = credentials_of(connection)
        client = self.graph_client(credentials)
        # The media URL is short-lived (minutes): it is fetched right before the download.
        info = client.get(
            media.provider_media_id,
            params={"phone_number_id": str(credentials["phone_number_id"])},
        )
        size = _int(info.get("file_size"))
        if size is not None and size > max_bytes:
            raise too_large(max_bytes)
        url = str(info.get("url") or "")
        content, header_mime = client.download(url, max_bytes=max_bytes)
        return content, str(info.get("mime_type") or header_mime or media.mime_type)


class UploadedMedia:
    """The media ids of one send's file: the id of the file's earlier upload to this number
    when one is kept (``KeptFileIds``), else a new upload's."""

    def __init__(self, client: GraphClient, phone_number_id: str, *, reuse: bool) -> None:
        self.client = client
        self.phone_number_id = phone_number_id
        self.kept = KeptFileIds("whatsapp_cloud", phone_number_id, reuse=reuse)

    def media_id(self, message: OutboundMessage) -> str:
        kept = self.kept.get(message.media_name)
        if kept is not None:
            return kept
        media_id = upload_media(self.client, self.phone_number_id, message)
        self.kept.keep(message.media_name, media_id)
        return media_id


def upload_media(client: GraphClient, phone_number_id: str, message: OutboundMessage) -> str:
    """POST the stored file to ``/{phone_number_id}/media``; returns the media id."""
    with outbound_file(message) as (filename, file, mime_type):
        answer = client.post(
            f"{phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, file, mime_type)},
        )
    media_id = str(answer.get("id") or "")
    if not media_id:
        raise ProviderError(
            _("WhatsApp accepted the upload but returned no media id."),
            permanent=False,
            code="provider_unavailable",
        )
    return media_id


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
