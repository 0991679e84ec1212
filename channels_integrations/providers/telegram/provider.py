"""Telegram Bot API adapter: getMe to check the token, setWebhook with a secret token, updates
verified by the X-Telegram-Bot-Api-Secret-Token header, sendMessage/sendPhoto/... to answer,
getFile to download.

Bot API reference: https://core.telegram.org/bots/api (setWebhook:
https://core.telegram.org/bots/api#setwebhook, sending files:
https://core.telegram.org/bots/api#sending-files, getFile:
https://core.telegram.org/bots/api#getfile).
"""

from __future__ import annotations

import hmac
import mimetypes
import secrets
from typing import Any, ClassVar

from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels_integrations.providers.base import (
    ChannelProvider,
    InboundItem,
    InboundMedia,
    InboundMessage,
    OutboundMessage,
    ProviderError,
    SentMessageChange,
    WebhookRejected,
    malformed_item,
)
from channels_integrations.providers.kept_file_ids import KeptFileIds
from channels_integrations.providers.telegram.client import TelegramClient
from channels_integrations.providers.telegram.config import TelegramCredentialsSerializer
from channels_integrations.providers.telegram.payloads import (
    HANDLED_UPDATES,
    message_key,
    update_items,
)
from connections.models import ChannelConnection
from core.json_bodies import MalformedJSON, json_loads_safe
from tickets.models import Message

Kind = Message.Kind

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
# Bot API limits: 4096 characters of text, 1024 of caption.
CAPTION_MAX = 1024
# Kinds with a file, and the method and field that upload each.
_UPLOADS: dict[str, tuple[str, str]] = {
    Kind.IMAGE: ("sendPhoto", "photo"),
    Kind.AUDIO: ("sendAudio", "audio"),
    Kind.VIDEO: ("sendVideo", "video"),
    Kind.DOCUMENT: ("sendDocument", "document"),
    Kind.STICKER: ("sendDocument", "document"),
}
# What sendAudio plays (other audio formats are sent as documents).
_AUDIO_PLAYED = frozenset({"audio/mpeg", "audio/mp4"})


# The width (px) of the profile photo size we keep: enough for the largest place we show it.
AVATAR_SIDE = 160


class TelegramProvider(ChannelProvider):
    """One Telegram bot per connection, with its own webhook URL."""

    key = "telegram"
    label = gettext_lazy("Telegram")
    webhook_routing = "connection"
    credentials_serializer = TelegramCredentialsSerializer
    secret_fields: ClassVar[tuple[str, ...]] = ("bot_token", "webhook_secret")
    # "no more than 30 messages per second" to different chats:
    # https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
    rate_limit_per_second = 30.0
    caption_kinds = frozenset({"image", "video", "audio", "document"})
    caption_max_length = CAPTION_MAX
    # A bot can write only to people who started a chat with it (its chat id is theirs).
    contact_avatars = True
    conversation_reach = "after_customer"
    conversation_refusal = gettext_lazy(
        "A Telegram bot can write only to people who started a chat with it."
    )
    # editMessageText / editMessageCaption and deleteMessage change the customer's copy;
    # setMessageReaction takes only the emoji of Telegram's ReactionTypeEmoji list.
    edits_reach_customer = True
    deletions_reach_customer = True
    deletion_window_hours = 48  # a bot's message in a private chat (deleteMessage)
    reaction_emojis = ("👍", "❤", "😁", "😱", "😢", "🙏")
    # sendVoice plays Ogg/Opus, MP3 and M4A as a voice message; any other audio goes as a file.
    voice_note_mime_types = frozenset({"audio/ogg", "audio/mpeg", "audio/mp4"})

    # ------------------------------------------------------------------ setup

    def credentials_complete(self, credentials: dict[str, Any]) -> dict[str, Any]:
        # Telegram echoes this secret in SECRET_HEADER on every update (1-256 characters of
        # A-Z, a-z, 0-9, _ and -, which token_urlsafe uses).
        return {**credentials, "webhook_secret": secrets.token_urlsafe(48)}

    def check_credentials(self, credentials: dict[str, Any]) -> dict[str, Any]:
        try:
            me = TelegramClient(credentials["bot_token"]).call("getMe")
        except ProviderError as exc:
            if exc.code != "unauthorized":
                raise
            raise ProviderError(
                _(
                    "Telegram did not accept this token. Copy the whole token again from "
                    "@BotFather (/mybots → your bot → API Token); if it was revoked, use the "
                    "new one."
                ),
                permanent=True,
                code=exc.code,
                field="bot_token",
            ) from exc
        if not isinstance(me, dict) or not me.get("is_bot"):
            raise ProviderError(
                _("This token does not belong to a bot. Create one with @BotFather."),
                permanent=True,
                field="bot_token",
            )
        return {
            "bot_id": me.get("id"),
            "bot_username": me.get("username", ""),
            "bot_name": me.get("first_name", ""),
        }

    def account_keys(self, details: dict[str, Any]) -> list[str]:
        # The bot id from getMe, not the token's prefix: tokens are revoked and replaced, the
        # bot stays. setWebhook on a bot held elsewhere would take its updates from its owner.
        bot_id = details.get("bot_id")
        return [f"bot:{bot_id}"] if bot_id else []

    def webhook_register(self, connection: ChannelConnection, *, url: str) -> None:
        credentials = connection.credentials
        TelegramClient(credentials["bot_token"]).call(
            "setWebhook",
            data={
                "url": url,
                "secret_token": credentials["webhook_secret"],
                "allowed_updates": list(HANDLED_UPDATES),
            },
        )

    def webhook_unregister(self, connection: ChannelConnection) -> None:
        TelegramClient(connection.credentials["bot_token"]).call("deleteWebhook")

    # ------------------------------------------------------------------ inbound

    def verify_request(self, request: HttpRequest, connection: ChannelConnection) -> None:
        expected = str(connection.credentials.get("webhook_secret", ""))
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRejected("secret token missing or wrong")

    def parse_inbound(self, payload: bytes) -> list[InboundItem]:
        try:
            update = json_loads_safe(payload)
        except MalformedJSON as exc:  # not JSON, or nested deeper than any update
            raise ValueError(exc.message) from exc
        try:
            return update_items(update)
        except (KeyError, TypeError, AttributeError, IndexError):
            # An update whose parts have unexpected shapes (a photo that is not a list, a
            # sender that is not an object): quarantined, never a 500.
            return [malformed_item("unreadable_content", update)]

    def inbound_acknowledge(self, connection: ChannelConnection, item: InboundItem) -> None:
        # The customer's button spins until its callback query is answered (in time or not).
        query_id = item.extra.get("callback_query_id") if isinstance(item, InboundMessage) else ""
        if query_id:
            TelegramClient(connection.credentials["bot_token"]).call(
                "answerCallbackQuery", data={"callback_query_id": query_id}
            )

    def contact_avatar(
        self,
        connection: ChannelConnection,
        external_id: str,
        *,
        max_bytes: int,
        picture_url: str = "",
    ) -> bytes | None:
        """The user's current profile photo: ``getUserProfilePhotos`` (the newest, its size
        nearest ``AVATAR_SIDE``), then ``getFile`` and the file server. A private chat's id is
        the user's id; groups have none.
        https://core.telegram.org/bots/api#getuserprofilephotos"""
        if not external_id.isdigit():
            return None
        client = TelegramClient(connection.credentials["bot_token"])
        answer = client.call("getUserProfilePhotos", data={"user_id": external_id, "limit": 1})
        photos = answer.get("photos") if isinstance(answer, dict) else None
        if not photos or not isinstance(photos[0], list) or not photos[0]:
            return None
        sizes = [size for size in photos[0] if isinstance(size, dict) and size.get("file_id")]
        if not sizes:
            return None
        size = min(sizes, key=lambda s: abs(int(s.get("width") or 0) - AVATAR_SIDE))
        info = client.call("getFile", data={"file_id": size["file_id"]})
        path = str(info.get("file_path") or "") if isinstance(info, dict) else ""
        if not path:
            return None
        return client.download(path, max_bytes=max_bytes)

    def download_media(
        self, connection: ChannelConnection, media: InboundMedia, *, max_bytes: int
    ) -> tuple[bytes, str]:
        client = TelegramClient(connection.credentials["bot_token"])
        info = client.call("getFile", data={"file_id": media.provider_media_id})
        size = info.get("file_size") if isinstance(info, dict) else None
        if isinstance(size, int) and size > max_bytes:
            raise ProviderError("file larger than allowed", permanent=True, code="media_too_large")
        path = str(info.get("file_path") or "") if isinstance(info, dict) else ""
        if not path:
            raise ProviderError("the file is no longer available", permanent=True)
        content = client.download(path, max_bytes=max_bytes)
        # The file server answers application/octet-stream: the path's extension is the type.
        mime = media.mime_type or mimetypes.guess_type(path)[0] or ""
        return content, mime

    # ------------------------------------------------------------------ outbound

    def send(self, connection: ChannelConnection, message: OutboundMessage) -> str:
        client = TelegramClient(connection.credentials["bot_token"])
        chat_id = message.recipient
        common: dict[str, Any] = {"chat_id": chat_id}
        if message.quoted_provider_message_id:
            _, _, quoted = message.quoted_provider_message_id.rpartition(":")
            if quoted.isdigit():
                # The reply still goes out if the quoted message was deleted meanwhile.
                common["reply_parameters"] = {
                    "message_id": int(quoted),
                    "allow_sending_without_reply": True,
                }
        if message.media_name:
            sent = self._send_file(client, common, message)
        elif message.kind == Kind.LOCATION and "latitude" in message.extra:
            sent = client.call(
                "sendLocation",
                data={
                    **common,
                    "latitude": message.extra["latitude"],
                    "longitude": message.extra["longitude"],
                },
            )
        elif message.kind == Kind.CONTACT_CARD and "phone_number" in message.extra:
            sent = client.call(
                "sendContact",
                data={
                    **common,
                    "phone_number": message.extra["phone_number"],
                    "first_name": message.extra.get("first_name") or message.body or "-",
                    "last_name": message.extra.get("last_name", ""),
                },
            )
        elif message.kind == Kind.REACTION:
            # setMessageReaction answers True, not a message: the reaction's id is ours.
            _, reacted = _message_ref(message.quoted_provider_message_id)
            client.call(
                "setMessageReaction",
                data={
                    "chat_id": chat_id,
                    "message_id": reacted,
                    "reaction": [{"type": "emoji", "emoji": message.body}],
                },
            )
            return f"{message_key(chat_id, reacted)}:reaction:{message.idempotency_key}"
        elif message.body:
            sent = client.call("sendMessage", data={**common, "text": message.body})
        else:
            raise ProviderError(
                "Telegram cannot send this kind of message.", permanent=True, code="unsupported"
            )
        return message_key(chat_id, sent["message_id"])

    def edit_sent(self, connection: ChannelConnection, change: SentMessageChange) -> None:
        """editMessageText, or editMessageCaption for a file's text
        (https://core.telegram.org/bots/api#updating-messages). Telegram refuses an edit that
        changes nothing ("message is not modified"): the edit is already there."""
        chat_id, message_id = _message_ref(change.provider_message_id)
        method, field = ("editMessageText", "text")
        if change.kind != Kind.TEXT:
            method, field = ("editMessageCaption", "caption")
        data = {"chat_id": chat_id, "message_id": message_id, field: change.body}
        try:
            TelegramClient(connection.credentials["bot_token"]).call(method, data=data)
        except ProviderError as exc:
            if "message is not modified" not in exc.detail.lower():
                raise

    def delete_sent(self, connection: ChannelConnection, change: SentMessageChange) -> None:
        """deleteMessage (https://core.telegram.org/bots/api#deletemessage); a bot's message in a
        private chat can be deleted for 48 hours, later Telegram refuses (a permanent error). A
        message already gone ("message to delete not found") counts as deleted."""
        chat_id, message_id = _message_ref(change.provider_message_id)
        data = {"chat_id": chat_id, "message_id": message_id}
        try:
            TelegramClient(connection.credentials["bot_token"]).call("deleteMessage", data=data)
        except ProviderError as exc:
            if "message to delete not found" not in exc.detail.lower():
                raise

    def _send_file(
        self,
        client: TelegramClient,
        common: dict[str, Any],
        message: OutboundMessage,
        *,
        reuse: bool = True,
    ) -> Any:
        method, field = _UPLOADS.get(message.kind, ("sendDocument", "document"))
        mime = message.media_mime_type
        voice = bool(message.extra.get("voice")) and mime in self.voice_note_mime_types
        if message.kind == Kind.AUDIO and (mime == "audio/ogg" or voice):
            method, field = "sendVoice", "voice"  # shown as a voice note, like the customer's
        elif message.kind == Kind.AUDIO and mime not in _AUDIO_PLAYED:
            method, field = "sendDocument", "document"  # sendAudio plays MP3 and M4A only
        caption = message.body if len(message.body) <= CAPTION_MAX else ""
        data = {**common, **({"caption": caption} if caption else {})}
        # A file this bot sent before is named by its file_id instead of being uploaded again
        # ("Sending files", https://core.telegram.org/bots/api#sending-files); ids are the bot's.
        kept = KeptFileIds("telegram", client.token.split(":", 1)[0], reuse=reuse)
        file_id = kept.get(message.media_name)
        if file_id is not None:
            try:
                sent = client.call(method, data={**data, field: file_id})
            except ProviderError as exc:
                if not kept.forget_used() or not exc.permanent:
                    raise  # a temporary failure is retried later, and then uploads the file
                # Refused, so nothing was sent: once more with the file uploaded again.
                return self._send_file(client, common, message, reuse=False)
        else:
            filename = message.media_filename or message.media_name.rsplit("/", 1)[-1]
            try:
                with default_storage.open(message.media_name, "rb") as handle:
                    content = handle.read()
            except OSError as exc:
                raise ProviderError("the file is missing from storage", permanent=True) from exc
            mime = message.media_mime_type or "application/octet-stream"
            sent = client.call(method, data=data, files={field: (filename, content, mime)})
            kept.keep(message.media_name, _sent_file_id(sent, field))
        if message.body and not caption:  # too long for a caption: the text follows the file
            client.call("sendMessage", data={"chat_id": common["chat_id"], "text": message.body})
        return sent


def _sent_file_id(sent: Any, field: str) -> str:
    """The file_id of the file a sent Message carries (a photo: its largest size)."""
    value = sent.get(field) if isinstance(sent, dict) else None
    if isinstance(value, list):
        value = value[-1] if value else None
    file_id = value.get("file_id") if isinstance(value, dict) else None
    return file_id if isinstance(file_id, str) else ""


def _message_ref(provider_message_id: str) -> tuple[str, int]:
    """The chat and message id of a message's provider id (``message_key``'s ``chat:id``)."""
    chat_id, _, message_id = provider_message_id.partition(":")
    message_id = message_id.split(":", 1)[0]
    if not chat_id or not message_id.lstrip("-").isdigit():
        raise ProviderError(
            "The message has no Telegram id to refer to.", permanent=True, code="bad_request"
        )
    return chat_id, int(message_id)
