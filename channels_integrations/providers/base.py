"""The provider interface: what every channel adapter implements, and the neutral messages it
speaks. Adapters translate between a provider's HTTP API and these dataclasses; everything
shared (contact upsert, tickets, messages, media storage, retries) lives in the services.

An adapter never touches the database: it receives the connection (its decrypted credentials)
and returns or takes plain values.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from connections.models import ChannelConnection
from connections.providers.base import ConnectionProvider


@dataclass(frozen=True)
class InboundMedia:
    """A file attached to an inbound message, to be downloaded through the provider."""

    provider_media_id: str  # the provider's file id, or a URL for providers that send URLs
    mime_type: str = ""
    filename: str = ""
    size: int | None = None  # bytes, when the provider says so before the download


@dataclass(frozen=True)
class InboundMessage:
    """One customer message (or an edit/deletion of one) in neutral form.

    ``kind`` is a ``tickets.Message.Kind`` value; anything the adapter does not understand is
    ``unsupported`` and keeps the provider's item in ``raw``. ``extra`` holds structured parts
    (location coordinates, a shared contact card, an interactive reply id, a reaction's emoji).
    """

    event_id: str  # unique per connection for this delivery item (duplicates are dropped)
    external_id: str  # the customer's id on the provider (chat id, wa_id, PSID, visitor id)
    provider_message_id: str
    kind: str
    body: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    media: InboundMedia | None = None
    quoted_provider_message_id: str = ""
    sent_at: datetime | None = None
    is_edit: bool = False  # replaces the body of ``provider_message_id``
    is_deletion: bool = False  # the customer deleted ``provider_message_id``
    # An echo: a message the business sent to ``external_id`` (from this platform or another
    # tool, e.g. the Page inbox), stored as outbound unless ``provider_message_id`` is ours.
    is_echo: bool = False
    # A message in a group chat (WhatsApp QR): ``external_id`` is the group's, the group is the
    # contact (named by ``contact_profile``), and ``extra["group_sender"]`` names who wrote it.
    # Ignored when the tenant's ``ignore_group_messages`` is on.
    is_group: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    # Shared-URL providers only: the account the item is addressed to (a Meta phone number id
    # or page id), looked up in tenants.ChannelRoute; empty when the URL names the connection.
    route_key: str = ""


@dataclass(frozen=True)
class InboundStatus:
    """A delivery status callback for one of our outbound messages."""

    event_id: str
    provider_message_id: str
    status: str  # a tickets.Message.Status value: sent, delivered, read or failed
    error_code: str = ""
    error_detail: str = ""
    at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # The customer the status is about, when the provider says. With an empty
    # ``provider_message_id`` the status is a watermark (Messenger delivery/read receipts): it
    # applies to every outbound message of this connection to ``external_id`` sent at or before
    # ``at``.
    external_id: str = ""
    route_key: str = ""  # as in InboundMessage


@dataclass(frozen=True)
class InboundAccountError:
    """An error the provider reports about the connection's account rather than about one
    message (WhatsApp's ``errors`` on a webhook's value: throughput limit, payment problem,
    account locked): shown on the connection. ``error_code`` is ours (``meta_130429``),
    ``error_detail`` the provider's own words."""

    event_id: str
    error_code: str
    error_detail: str = ""
    at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    route_key: str = ""  # as in InboundMessage


@dataclass(frozen=True)
class InboundSession:
    """A change of the session of a connection that is paired by scanning a QR code (WhatsApp
    through a gateway): a new QR code to show its admins, or a new state of the session.

    ``state`` is one of ``SESSION_STATES`` ("" for a QR code only); ``qr_image`` a
    ``data:image/png;base64,...`` URL, ``qr_count`` its number in the gateway's refresh cycle;
    ``number`` and ``profile_name`` the phone's, once open; ``reason`` why a session closed
    (``logged_out``, ``replaced``, ``lost``)."""

    event_id: str
    state: str = ""
    qr_image: str = ""
    qr_count: int = 0
    pairing_code: str = ""
    number: str = ""
    profile_name: str = ""
    reason: str = ""
    at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    route_key: str = ""  # as in InboundMessage


SESSION_CONNECTING = "connecting"
SESSION_OPEN = "open"
SESSION_CLOSED = "closed"
SESSION_STATES = (SESSION_CONNECTING, SESSION_OPEN, SESSION_CLOSED)


@dataclass(frozen=True)
class InboundMalformed:
    """A part of a webhook body that should be an item but cannot be read (a message without
    its id or sender): quarantined with ``reason`` instead of dropped. ``raw`` is a complete
    body holding only that part, which ``parse_inbound`` reads again when an admin replays it;
    ``event_id`` is derived from it, so a redelivery is quarantined once."""

    event_id: str
    reason: str
    raw: dict[str, Any] = field(default_factory=dict)
    route_key: str = ""  # as in InboundMessage


# Why a part was quarantined: the reason codes adapters use, with what admins read.
MALFORMED_REASONS: dict[str, str | Promise] = {
    "message_without_id": gettext_lazy("A message without its id"),
    "message_without_sender": gettext_lazy("A message without its sender"),
    "message_without_chat": gettext_lazy("A message without its chat"),
    "status_without_id": gettext_lazy("A delivery status without the id of its message"),
    "not_an_object": gettext_lazy("A part that is not a JSON object"),
    "unreadable_content": gettext_lazy("A message whose parts have unexpected types"),
    "mail_too_large": gettext_lazy("An e-mail larger than the limit (not downloaded)"),
    "sender_rate_limited": gettext_lazy(
        "Too many e-mails from one sender in an hour (a possible mail loop)"
    ),
}


def malformed_reason_label(reason: str) -> str:
    """What a quarantine reason code means, in the active language (the code if unknown)."""
    return str(MALFORMED_REASONS.get(reason, reason))


def malformed_item(reason: str, raw: dict[str, Any]) -> InboundMalformed:
    """The quarantine item of ``raw`` (a body of one unreadable part) for ``reason``."""
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return InboundMalformed(event_id=f"malformed:{digest[:40]}", reason=reason, raw=raw)


@dataclass(frozen=True)
class InboundTemplateStatus:
    """A message template of the connection's business account changed status at the provider
    (WhatsApp ``message_template_status_update``: approved, rejected with a reason, paused...)."""

    event_id: str
    template_id: str
    name: str
    language: str
    status: str
    reason: str = ""
    at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    route_key: str = ""  # as in InboundMessage


InboundItem = (
    InboundMessage
    | InboundStatus
    | InboundAccountError
    | InboundMalformed
    | InboundSession
    | InboundTemplateStatus
)


@dataclass(frozen=True)
class ContactProfile:
    """A customer's public profile as a provider's profile API gives it (Messenger and
    Instagram webhooks carry only an id)."""

    name: str = ""
    avatar_url: str = ""


@dataclass(frozen=True)
class OutboundMessage:
    """What to send: built by the outbound pipeline from a queued ``tickets.Message``."""

    idempotency_key: str  # stable per message: providers that accept one get it
    recipient: str  # the contact's external id on this provider
    kind: str
    body: str = ""
    media_name: str = ""  # private storage name of the file to upload, when any
    media_mime_type: str = ""
    media_filename: str = ""
    quoted_provider_message_id: str = ""
    # In a group chat: who wrote the quoted (or reacted) message, as its ``group_sender``
    # number (a reaction in a WhatsApp group names the message by chat, author and id).
    quoted_author: str = ""
    template: dict[str, Any] | None = None  # an approved template (WhatsApp), when required
    # Structured parts of the message (location coordinates, a contact card) for kinds without
    # a file, as stored on ``tickets.Message.payload``.
    extra: dict[str, Any] = field(default_factory=dict)
    # Providers that declare ``threads_by_headers`` (e-mail) only: the conversation the message
    # continues (``subject``, ``references``: the provider ids of the ticket's earlier
    # messages, oldest first; ``token``: the ticket's protocol) and who sends it
    # (``agent_name``; ``signed``: the body already ends with the agent's signature).
    thread: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SentMessageChange:
    """An agent's edit or deletion of a message the provider already accepted, built by the
    outbound pipeline from an ``OutboundChange``: ``provider_message_id`` names the message,
    ``kind`` is its kind (an edit of a file's text changes its caption), ``body`` the new text,
    ``recipient`` the chat it was sent to (the contact's external id, as in ``OutboundMessage``)."""

    idempotency_key: str
    provider_message_id: str
    kind: str
    body: str = ""
    recipient: str = ""


class ProviderError(Exception):
    """A provider call failed. ``permanent`` errors are not retried and reach the agent as the
    message's failure reason; temporary ones are retried with back-off. ``field`` names the
    credential a refusal concerns (the connection form shows the reason under it)."""

    def __init__(
        self,
        detail: str,
        *,
        permanent: bool,
        code: str = "",
        retry_after: float | None = None,
        field: str = "",
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent
        self.code = code
        self.retry_after = retry_after
        self.field = field


class WebhookRejected(Exception):
    """The request is not an authentic delivery for this connection (bad signature/secret)."""


class ChannelProvider(ConnectionProvider):
    """Base class of the adapters; one subclass per provider, registered with one line in
    ``connections.providers.registry``. What a provider declares (key, label, credentials,
    secret fields, routing, rate) is the ``ConnectionProvider`` part; this class adds what the
    pipelines call.

    Webhooks reach ``channels_integrations.services.inbound.inbound_webhook_receive`` on the
    platform host in one of two ways, chosen by ``webhook_routing``:

    - ``"connection"``: a URL per connection, ``/webhooks/<key>/<token>/``; the connection
      services give each connection an unguessable token and route it (Telegram). The generic
      view ``channels_integrations.views.connection_webhook`` serves it.
    - ``"shared"``: one URL for every connection of the provider (Meta's app callback); the
      adapter's view calls ``channels_integrations.views.shared_webhook_response`` and items
      are routed by their ``route_key``, which must be one of ``route_keys(credentials)``.
    - ``""``: no webhooks (the web chat posts to the tenant host itself).
    """

    # Providers whose number is paired by scanning a QR code on a gateway (WhatsApp QR): the
    # connection is connected only while the gateway's session is open, and its page offers
    # the session actions below (``session_connect``, ``session_restart``, ``session_logout``).
    pairs_by_session: ClassVar[bool] = False

    # Providers whose messages thread by headers (e-mail: Message-ID, In-Reply-To, References):
    # the outbound pipeline gives ``OutboundMessage.thread`` to their ``send``.
    threads_by_headers: ClassVar[bool] = False

    # Keys of a connection's ``details`` that the dashboard sets apart from the credentials
    # (the web chat's avatar): a new check of the credentials keeps them.
    kept_details: ClassVar[tuple[str, ...]] = ()

    # Providers whose webhooks carry no customer name: how such a contact is named until its
    # profile is known ("Instagram user %(id)s", given the id's last four characters).
    unnamed_contact: ClassVar[str | Promise] = ""
    # Providers with group chats: how a group is named until ``contact_profile`` gives its
    # subject ("WhatsApp group %(id)s", given its id's last four digits).
    unnamed_group: ClassVar[str | Promise] = ""
    # Whether ``contact_avatar`` can give customers' profile pictures.
    contact_avatars: ClassVar[bool] = False

    def contact_profile(
        self, connection: ChannelConnection, external_id: str
    ) -> ContactProfile | None:
        """The customer's name and picture from the provider's profile API, for providers whose
        webhooks do not carry them, or a group's subject and picture (``external_id`` a
        group's); None for the others; ``ProviderError`` when the provider
        refuses (no consent, no permission) or cannot answer."""
        return None

    def session_state(self, connection: ChannelConnection) -> str:
        """Session providers: the gateway's state of the session (one of ``SESSION_STATES``);
        ``ProviderError`` when it cannot answer."""
        raise NotImplementedError

    def session_connect(self, connection: ChannelConnection, *, number: str = "") -> InboundSession:
        """Session providers: start pairing (a new QR code; with ``number``, a pairing code to
        type on that phone instead)."""
        raise NotImplementedError

    def session_restart(self, connection: ChannelConnection) -> None:
        """Session providers: restart the gateway's session (a paired phone reconnects)."""
        raise NotImplementedError

    def session_logout(self, connection: ChannelConnection) -> None:
        """Session providers: log the phone out (it must scan a new QR code to come back)."""
        raise NotImplementedError

    def session_calls_set(
        self, connection: ChannelConnection, *, reject: bool, message: str, ignore_groups: bool
    ) -> None:
        """Session providers: whether the phone's calls are rejected, the message the caller
        then gets, and whether group messages are left out (the tenant's ``reject_calls``,
        ``call_reject_message`` and ``ignore_group_messages``)."""
        raise NotImplementedError

    def contact_avatar(
        self,
        connection: ChannelConnection,
        external_id: str,
        *,
        max_bytes: int,
        picture_url: str = "",
    ) -> bytes | None:
        """The customer's profile picture (the file's bytes, at most ``max_bytes``), None when
        the provider has none for them or offers no pictures; ``picture_url`` is one the
        profile API already gave. ``ProviderError`` when the provider refuses or fails."""
        return None

    def check_credentials(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """Ask the provider whether the credentials work (e.g. Telegram getMe); returns facts to
        keep (bot username, phone display name); raises ``ProviderError`` when they do not."""
        raise NotImplementedError

    def credentials_complete(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """The credentials to store: validated input plus anything we generate ourselves (a
        webhook secret). Called on create and whenever the credentials are replaced."""
        return dict(credentials)

    def takes_webhooks(self, connection: ChannelConnection) -> bool:
        """Whether this connection receives webhooks (its URL is shown to admins); a provider
        with another way in for some connections (e-mail read by IMAP) says no for those."""
        return True

    def webhook_register(self, connection: ChannelConnection, *, url: str) -> None:
        """Point the provider at ``url`` (Telegram setWebhook) when the connection is created or
        enabled; ``ProviderError`` when it refuses. Nothing to do for providers configured in
        their own dashboard (Meta)."""

    def webhook_unregister(self, connection: ChannelConnection) -> None:
        """Stop the provider's webhook calls when the connection is disabled (best effort)."""

    def route_keys(self, credentials: dict[str, Any]) -> list[str]:
        """External account ids that route shared webhooks to this connection (Meta phone
        number id / page id); empty for providers with a per-connection URL."""
        return []

    def account_keys(self, details: dict[str, Any]) -> list[str]:
        """Provider accounts the connection holds besides its ``route_keys``, named from the
        ``details`` that ``check_credentials`` reported (Telegram: ``bot:<bot id>``). They go
        in the routing table with the route keys, whose uniqueness then lets one connection in
        the whole platform hold an account; they are never slugs, so no webhook URL reaches
        them."""
        return []

    def embed_snippet(self, connection: ChannelConnection, *, base_url: str) -> str:
        """HTML an admin pastes into their own site to use this connection (the web chat's
        script tag), given the tenant's ``https://host``; "" for providers without one."""
        return ""

    def verify_request(self, request: HttpRequest, connection: ChannelConnection) -> None:
        """Raise ``WebhookRejected`` unless the request is authentic for this connection."""
        raise NotImplementedError

    def parse_inbound(self, payload: bytes) -> list[InboundItem]:
        """Neutral items of one webhook body. Pure: no database, no network."""
        raise NotImplementedError

    def inbound_acknowledge(self, connection: ChannelConnection, item: InboundItem) -> None:
        """Tell the provider an item was received, when it waits for that (Telegram's
        answerCallbackQuery); called once per processing of the item, before its effect.
        ``ProviderError`` is logged, never retried. Nothing to do for most providers."""

    def error_reason(self, code: str, detail: str) -> str:
        """A readable reason, in the active language, for an error the provider reported in a
        webhook (a failed status, an account error): ``code`` is ours, ``detail`` the
        provider's words, which are the reason when the provider declares nothing better."""
        return detail or code

    def send(self, connection: ChannelConnection, message: OutboundMessage) -> str:
        """Send and return the provider message id; raise ``ProviderError`` on failure."""
        raise NotImplementedError

    def send_read_receipt(
        self, connection: ChannelConnection, *, recipient: str, provider_message_id: str
    ) -> bool:
        """Tell the customer ``recipient`` that their message ``provider_message_id`` (and the
        ones before it) was read; False for providers that have no read receipts (Telegram, the
        web chat); ``ProviderError`` when the provider refuses or cannot answer."""
        return False

    def edit_sent(self, connection: ChannelConnection, change: SentMessageChange) -> None:
        """Change the customer's copy of a sent message to ``change.body``; only providers that
        declare ``edits_reach_customer`` are asked. Repeating an edit already applied succeeds."""
        raise ProviderError(
            "This channel cannot edit a sent message.", permanent=True, code="edit_not_supported"
        )

    def delete_sent(self, connection: ChannelConnection, change: SentMessageChange) -> None:
        """Remove the customer's copy of a sent message; only providers that declare
        ``deletions_reach_customer`` are asked. Deleting a message already gone succeeds."""
        raise ProviderError(
            "This channel cannot delete a sent message.",
            permanent=True,
            code="delete_not_supported",
        )

    def download_media(
        self, connection: ChannelConnection, media: InboundMedia, *, max_bytes: int
    ) -> tuple[bytes, str]:
        """Fetch an inbound file (content, mime type); ``ProviderError`` when it cannot, or when
        it is larger than ``max_bytes``."""
        raise NotImplementedError
