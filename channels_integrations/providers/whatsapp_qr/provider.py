"""WhatsApp by QR code, through an Evolution API v2 gateway (one gateway instance per number).

The gateway runs WhatsApp Web (Baileys) as a separate service; we never drive WhatsApp Web in
our processes. Creating the connection creates its instance with this connection's webhook URL
(``/webhooks/whatsapp_qr/<token>/``: the token in the path routes it) and a secret header that
every webhook must carry; the instance's own token, generated here, is stored encrypted with
the connection and used for every call but the creation (which needs the gateway's global key,
``settings.EVOLUTION_API_KEY``). The admin then scans the QR codes the gateway posts
(``qrcode.updated``), or types a pairing code on the phone, and the session's states
(``connection.update``) decide the connection's status.

API: https://doc.evolution-api.com/v2/api-reference (instance create, connect,
connectionState, restart, logout, delete; sendText, sendMedia, sendWhatsAppAudio,
sendSticker, sendLocation, sendContact, sendReaction; updateMessage,
deleteMessageForEveryone, markMessageAsRead, getBase64FromMediaMessage; findGroupInfos;
webhook set, settings set).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from channels_integrations.providers.base import (
    SESSION_CLOSED,
    ChannelProvider,
    ContactProfile,
    InboundItem,
    InboundMedia,
    InboundSession,
    OutboundMessage,
    ProviderError,
    SentMessageChange,
    WebhookRejected,
    malformed_item,
)
from channels_integrations.providers.whatsapp_qr.client import EvolutionClient
from channels_integrations.providers.whatsapp_qr.payloads import (
    _STATES,
    body_items,
    is_group_jid,
)
from connections.models import ChannelConnection
from core.json_bodies import MalformedJSON, json_loads_safe
from tickets.models import Message

Kind = Message.Kind

SECRET_HEADER = "X-TikTickets-Webhook-Secret"  # noqa: S105  (a header name)
# The gateway events the instance posts to us.
WEBHOOK_EVENTS = [
    "QRCODE_UPDATED",
    "CONNECTION_UPDATE",
    "MESSAGES_UPSERT",
    "MESSAGES_UPDATE",
    "MESSAGES_DELETE",
    "SEND_MESSAGE",
]
_MEDIA_TYPES: dict[str, str] = {Kind.IMAGE: "image", Kind.VIDEO: "video", Kind.DOCUMENT: "document"}


class WhatsAppQrCredentialsSerializer(serializers.Serializer):
    """Nothing to type: the instance token and the webhook secret are generated, and the
    number is paired on the connection's page by scanning its QR code."""


def _jid(chat: str) -> str:
    """The gateway's jid of one of our chat ids (a number, or a group's jid as it is)."""
    return chat if "@" in chat else f"{chat}@s.whatsapp.net"


def instance_name(connection: ChannelConnection) -> str:
    """The connection's instance on the gateway (unique across tenants: the public id)."""
    return f"tt-{connection.public_id}"


class WhatsAppQrProvider(ChannelProvider):
    """One WhatsApp number paired by QR code, on the gateway's instance of the connection."""

    key = "whatsapp_qr"
    label = gettext_lazy("WhatsApp (QR code)")

    @classmethod
    def is_configured(cls) -> bool:
        """Offered only where a gateway is configured (EVOLUTION_API_URL)."""
        return bool(settings.EVOLUTION_API_URL)

    webhook_routing = "connection"
    credentials_serializer = WhatsAppQrCredentialsSerializer
    secret_fields: ClassVar[tuple[str, ...]] = ("instance_token", "webhook_secret")
    pairs_by_session = True
    # WhatsApp Web has no published limit; a person-like pace keeps the number from bans.
    rate_limit_per_second = 5.0
    caption_kinds = frozenset({"image", "video", "document"})
    # WhatsApp lets the sender edit a text for 15 minutes and delete it for everyone for about
    # two days (updateMessage, deleteMessageForEveryone); a refusal past that is permanent.
    edits_reach_customer = True
    deletions_reach_customer = True
    deletion_window_hours = 48
    reaction_emojis = ("👍", "❤️", "😂", "😮", "😢", "🙏")
    # sendWhatsAppAudio converts any audio into a voice note.
    voice_note_mime_types = frozenset(
        {"audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/webm", "audio/wav"}
    )
    unnamed_group = gettext_lazy("WhatsApp group %(id)s")

    def _client(self, connection: ChannelConnection) -> EvolutionClient:
        return EvolutionClient(str(connection.credentials.get("instance_token") or ""))

    # ------------------------------------------------------------------ setup

    def credentials_complete(self, credentials: dict[str, Any]) -> dict[str, Any]:
        return {
            **credentials,
            "instance_token": secrets.token_hex(24).upper(),
            "webhook_secret": secrets.token_urlsafe(48),
        }

    def check_credentials(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """The gateway is configured, reachable, and takes our global key."""
        EvolutionClient(settings.EVOLUTION_API_KEY).call("GET", "instance/fetchInstances")
        return {}

    def _webhook(self, connection: ChannelConnection, url: str) -> dict[str, Any]:
        return {
            "enabled": True,
            "url": url,
            "byEvents": False,
            "base64": False,
            "headers": {SECRET_HEADER: connection.credentials["webhook_secret"]},
            "events": WEBHOOK_EVENTS,
        }

    def webhook_register(self, connection: ChannelConnection, *, url: str) -> None:
        """Create the connection's instance with its webhook (a QR code follows at once); an
        instance that exists already gets the webhook set again."""
        name = instance_name(connection)
        credentials = connection.credentials
        try:
            EvolutionClient(settings.EVOLUTION_API_KEY).call(
                "POST",
                "instance/create",
                json={
                    "instanceName": name,
                    "token": credentials["instance_token"],
                    "integration": "WHATSAPP-BAILEYS",
                    "qrcode": True,
                    "groupsIgnore": True,
                    "webhook": self._webhook(connection, url),
                },
            )
        except ProviderError as exc:
            if "already in use" not in exc.detail:
                raise
            self._client(connection).call(
                "POST", f"webhook/set/{name}", json={"webhook": self._webhook(connection, url)}
            )

    def webhook_unregister(self, connection: ChannelConnection) -> None:
        """Delete the instance: the phone is logged out and the gateway stops calling."""
        self._client(connection).call("DELETE", f"instance/delete/{instance_name(connection)}")

    def session_state(self, connection: ChannelConnection) -> str:
        answer = self._client(connection).call(
            "GET", f"instance/connectionState/{instance_name(connection)}"
        )
        state = (
            str((answer.get("instance") or {}).get("state") or "")
            if isinstance(answer, dict)
            else ""
        )
        return _STATES.get(state, SESSION_CLOSED)

    def session_connect(self, connection: ChannelConnection, *, number: str = "") -> InboundSession:
        answer = self._client(connection).call(
            "GET",
            f"instance/connect/{instance_name(connection)}",
            params={"number": number} if number else None,
        )
        answer = answer if isinstance(answer, dict) else {}
        items = body_items({"event": "qrcode.updated", "data": {"qrcode": answer}})
        if items and isinstance(items[0], InboundSession):
            return items[0]
        state = str((answer.get("instance") or {}).get("state") or "")
        return InboundSession(event_id="", state=_STATES.get(state, ""))

    def session_restart(self, connection: ChannelConnection) -> None:
        self._client(connection).call("POST", f"instance/restart/{instance_name(connection)}")

    def session_logout(self, connection: ChannelConnection) -> None:
        self._client(connection).call("DELETE", f"instance/logout/{instance_name(connection)}")

    def session_calls_set(
        self, connection: ChannelConnection, *, reject: bool, message: str, ignore_groups: bool
    ) -> None:
        # The gateway's settings are replaced as a whole: the gateway itself rejects each call
        # and sends ``msgCall`` once per call; groups are left out when the tenant ignores
        # them; nothing is marked read or kept online on the customer's behalf.
        self._client(connection).call(
            "POST",
            f"settings/set/{instance_name(connection)}",
            json={
                "rejectCall": reject,
                "msgCall": message if reject else "",
                "groupsIgnore": ignore_groups,
                "alwaysOnline": False,
                "readMessages": False,
                "readStatus": False,
                "syncFullHistory": False,
            },
        )

    # ------------------------------------------------------------------ inbound

    def verify_request(self, request: HttpRequest, connection: ChannelConnection) -> None:
        expected = str(connection.credentials.get("webhook_secret", ""))
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRejected("secret header missing or wrong")
        try:
            body = json_loads_safe(request.body)
        except MalformedJSON:
            return  # refused as malformed by the parser
        if isinstance(body, dict) and body.get("instance") not in (None, instance_name(connection)):
            raise WebhookRejected("the body names another instance")

    def parse_inbound(self, payload: bytes) -> list[InboundItem]:
        try:
            body = json_loads_safe(payload)
        except MalformedJSON as exc:
            raise ValueError(exc.message) from exc
        if not isinstance(body, dict):
            return [malformed_item("not_an_object", {"data": body})]
        return body_items(body)

    def download_media(
        self, connection: ChannelConnection, media: InboundMedia, *, max_bytes: int
    ) -> tuple[bytes, str]:
        answer = self._client(connection).call(
            "POST",
            f"chat/getBase64FromMediaMessage/{instance_name(connection)}",
            json={"message": {"key": {"id": media.provider_media_id}}, "convertToMp4": False},
        )
        encoded = str(answer.get("base64") or "") if isinstance(answer, dict) else ""
        if len(encoded) * 3 // 4 > max_bytes:
            raise ProviderError("file larger than allowed", permanent=True, code="media_too_large")
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProviderError("the gateway returned no file", permanent=True) from exc
        if not content:
            raise ProviderError("the gateway returned no file", permanent=True)
        mime = str(answer.get("mimetype") or media.mime_type)
        return content, mime

    def contact_profile(
        self, connection: ChannelConnection, external_id: str
    ) -> ContactProfile | None:
        """A group's subject and picture (findGroupInfos); people are named by their
        messages."""
        if not is_group_jid(external_id):
            return None
        answer = self._client(connection).call(
            "GET",
            f"group/findGroupInfos/{instance_name(connection)}",
            params={"groupJid": external_id},
        )
        answer = answer if isinstance(answer, dict) else {}
        return ContactProfile(
            name=str(answer.get("subject") or ""), avatar_url=str(answer.get("pictureUrl") or "")
        )

    # ------------------------------------------------------------------ outbound

    def send_read_receipt(
        self, connection: ChannelConnection, *, recipient: str, provider_message_id: str
    ) -> bool:
        if is_group_jid(recipient):
            return False  # a group is not told who on the business's side read it
        self._client(connection).call(
            "POST",
            f"chat/markMessageAsRead/{instance_name(connection)}",
            json={
                "readMessages": [
                    {"remoteJid": _jid(recipient), "fromMe": False, "id": provider_message_id}
                ]
            },
        )
        return True

    def edit_sent(self, connection: ChannelConnection, change: SentMessageChange) -> None:
        recipient = self._change_recipient(change)
        self._client(connection).call(
            "POST",
            f"chat/updateMessage/{instance_name(connection)}",
            json={
                "number": recipient,
                "text": change.body,
                "key": {
                    "remoteJid": _jid(recipient),
                    "fromMe": True,
                    "id": change.provider_message_id,
                },
            },
        )

    def delete_sent(self, connection: ChannelConnection, change: SentMessageChange) -> None:
        recipient = self._change_recipient(change)
        self._client(connection).call(
            "DELETE",
            f"chat/deleteMessageForEveryone/{instance_name(connection)}",
            json={"id": change.provider_message_id, "remoteJid": _jid(recipient), "fromMe": True},
        )

    @staticmethod
    def _change_recipient(change: SentMessageChange) -> str:
        if not change.recipient:
            raise ProviderError(
                "the message's chat is unknown", permanent=True, code="recipient_unknown"
            )
        return change.recipient

    def send(self, connection: ChannelConnection, message: OutboundMessage) -> str:
        name = instance_name(connection)
        number = message.recipient
        body: dict[str, Any] = {"number": number}
        if message.quoted_provider_message_id and message.kind != Kind.REACTION:
            body["quoted"] = {"key": {"id": message.quoted_provider_message_id}}
        if message.kind == Kind.REACTION:
            method = "sendReaction"
            body = {
                "key": {
                    "remoteJid": _jid(number),
                    "fromMe": False,
                    "id": message.quoted_provider_message_id,
                },
                "reaction": message.body,
            }
            if is_group_jid(number) and message.quoted_author:
                body["key"]["participant"] = _jid(message.quoted_author)
        elif message.media_name:
            method, body = self._file_body(message, body)
        elif message.kind == Kind.LOCATION and "latitude" in message.extra:
            method = "sendLocation"
            body.update(
                latitude=message.extra["latitude"],
                longitude=message.extra["longitude"],
                name=str(message.extra.get("name") or message.body or ""),
                address=str(message.extra.get("address") or ""),
            )
        elif message.kind == Kind.CONTACT_CARD and message.extra.get("phone_number"):
            phone = str(message.extra["phone_number"])
            method = "sendContact"
            body["contact"] = [
                {
                    "fullName": message.extra.get("first_name") or message.body or phone,
                    "wuid": "".join(ch for ch in phone if ch.isdigit()),
                    "phoneNumber": phone,
                }
            ]
        elif message.body:
            method = "sendText"
            body["text"] = message.body
        else:
            raise ProviderError(
                _("WhatsApp cannot send this kind of message (%(kind)s).") % {"kind": message.kind},
                permanent=True,
                code="unsupported_kind",
            )
        answer = self._client(connection).call("POST", f"message/{method}/{name}", json=body)
        message_id = (answer.get("key") or {}).get("id") if isinstance(answer, dict) else None
        if not message_id:
            raise ProviderError(
                _("The WhatsApp gateway accepted the message but returned no message id."),
                permanent=False,
                code="gateway_unavailable",
            )
        return str(message_id)

    def _file_body(
        self, message: OutboundMessage, body: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        try:
            with default_storage.open(message.media_name, "rb") as handle:
                encoded = base64.b64encode(handle.read()).decode()
        except OSError as exc:
            raise ProviderError("the file is missing from storage", permanent=True) from exc
        filename = message.media_filename or message.media_name.rsplit("/", 1)[-1]
        if message.kind == Kind.AUDIO:
            # Sent as a voice note (the gateway converts it), like the customer's own.
            return "sendWhatsAppAudio", {**body, "audio": encoded}
        if message.kind == Kind.STICKER:
            return "sendSticker", {**body, "sticker": encoded}
        return "sendMedia", {
            **body,
            "mediatype": _MEDIA_TYPES.get(message.kind, "document"),
            "mimetype": message.media_mime_type or "application/octet-stream",
            "caption": message.body,
            "media": encoded,
            "fileName": filename,
        }
