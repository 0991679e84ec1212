"""E-mail adapter: customers' mail read from the connection's IMAP mailbox
(``channels_integrations.services.email_inbound``), replies sent through its SMTP server.

A customer is named by their address (the contact's identity); a mail's ``Message-ID`` is its
provider message id, so a mail read twice is stored once, and our replies carry
``Message-ID``, ``In-Reply-To`` and ``References`` (RFC 5322 §3.6.4) so customers' clients
thread them, plus the ticket's protocol in the subject (``[#<protocol>]``) and in the reply
address (``local+<protocol>@domain``, where the server supports plus-addressing).
"""

from __future__ import annotations

import json
import re
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any, ClassVar

from anymail.exceptions import AnymailConfigurationError, AnymailWebhookValidationFailure
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy
from markdown_it import MarkdownIt

from channels_integrations.providers.base import (
    ChannelProvider,
    InboundItem,
    InboundMedia,
    OutboundMessage,
    ProviderError,
    WebhookRejected,
    malformed_item,
)
from channels_integrations.providers.email.config import (
    INBOUND_IMAP,
    INBOUND_MAILGUN,
    EmailCredentialsSerializer,
)
from channels_integrations.providers.email.parse import PART_SEPARATOR, mail_items, mail_part
from channels_integrations.providers.email.servers import imap_check, smtp_check, smtp_session
from connections.models import ChannelConnection
from core.json_bodies import json_loads_safe
from tenants.tenancy import tenant_media_owns

# Where received mail is kept in the tenant's private storage (tenancy.tenant_media_path).
MAIL_AREA = "email"
_PROTOCOL_IN_SUBJECT = re.compile(r"\[#[\w-]+\]")
_REPLY_PREFIX = re.compile(r"^\s*(re|res|fw|fwd|enc)\s*:\s*", re.IGNORECASE)
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})


def reply_subject(subject: str, token: str) -> str:
    """``Re: <subject> [#<protocol>]``, without stacking prefixes or tokens."""
    base = subject.strip()
    while _REPLY_PREFIX.match(base):
        base = _REPLY_PREFIX.sub("", base, count=1)
    base = _PROTOCOL_IN_SUBJECT.sub("", base).strip()
    tag = f"[#{token}]" if token else ""
    return " ".join(part for part in ("Re:", base, tag) if part)


def plus_address(address: str, token: str) -> str:
    """``local+token@domain`` (the reply address that names the ticket)."""
    local, _, domain = address.partition("@")
    return f"{local}+{token}@{domain}" if token and domain else address


class EmailProvider(ChannelProvider):
    """One mailbox per connection: IMAP in, SMTP out."""

    key = "email"
    label = gettext_lazy("E-mail")
    # A URL per connection, used by connections that receive through Mailgun's inbound route
    # (``channels_integrations.services.email_webhook``); IMAP connections refuse it.
    webhook_routing = "connection"
    credentials_serializer = EmailCredentialsSerializer
    secret_fields: ClassVar[tuple[str, ...]] = (
        "imap_password",
        "smtp_password",
        "mailgun_signing_key",
    )
    # Ordinary mailboxes take a few messages a second before their provider objects.
    rate_limit_per_second = 2.0
    caption_kinds = frozenset({"image", "video", "audio", "document"})
    conversation_reach = "after_customer"
    conversation_refusal = gettext_lazy(
        "An e-mail conversation starts with the customer's mail to the connection's address."
    )
    threads_by_headers = True

    # ------------------------------------------------------------------ setup

    def check_credentials(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """Really sign in to the servers (the connection form's "test connection"): IMAP unless
        mail arrives through Mailgun, and SMTP."""
        facts: dict[str, Any] = {"address": credentials["address"]}
        if credentials.get("inbound", INBOUND_IMAP) == INBOUND_IMAP:
            facts["imap_idle"] = imap_check(credentials)["imap_idle"]
        smtp_check(credentials)
        return facts

    def takes_webhooks(self, connection: ChannelConnection) -> bool:
        return bool(connection.credentials.get("inbound") == INBOUND_MAILGUN)

    def verify_request(self, request: HttpRequest, connection: ChannelConnection) -> None:
        """A Mailgun inbound delivery for this connection: its signature checked by anymail with
        the connection's own webhook signing key (IMAP connections take no webhooks)."""
        credentials = connection.credentials
        if credentials.get("inbound") != INBOUND_MAILGUN or not credentials.get(
            "mailgun_signing_key"
        ):
            raise WebhookRejected("this e-mail connection takes no webhooks")
        view = MailgunInboundWebhookView(
            webhook_signing_key=credentials["mailgun_signing_key"], webhook_secret=[]
        )
        try:
            view.run_validators(request)
        except AnymailWebhookValidationFailure as exc:
            raise WebhookRejected(str(exc)) from exc

    def webhook_mails(self, request: HttpRequest, connection: ChannelConnection) -> list[bytes]:
        """The raw mails of a verified Mailgun inbound delivery (its ``body-mime``, or the
        message anymail rebuilds from the parsed fields)."""
        view = MailgunInboundWebhookView(
            webhook_signing_key=connection.credentials["mailgun_signing_key"], webhook_secret=[]
        )
        try:
            events = view.parse_events(request)
        except AnymailConfigurationError as exc:
            raise ValueError(str(exc)) from exc
        return [event.message.as_bytes() for event in events if event.message is not None]

    # ------------------------------------------------------------------ inbound

    def parse_inbound(self, payload: bytes) -> list[InboundItem]:
        """The items of a set-aside mail (``{"stored_name": …}``, as quarantined by the mailbox
        reader): read again from the tenant's storage. A mail never downloaded (too large) stays
        unreadable."""
        envelope = json_loads_safe(payload)
        if not isinstance(envelope, dict):
            raise ValueError("not an object")
        stored_name = envelope.get("stored_name")
        if not isinstance(stored_name, str) or not stored_name:
            return [malformed_item(str(envelope.get("reason") or "mail_too_large"), envelope)]
        if not tenant_media_owns(stored_name, MAIL_AREA):
            raise ValueError("not this tenant's mail")
        with default_storage.open(stored_name, "rb") as handle:
            raw = handle.read()
        return mail_items(raw, stored_name=stored_name)

    def download_media(
        self, connection: ChannelConnection, media: InboundMedia, *, max_bytes: int
    ) -> tuple[bytes, str]:
        stored_name, _, index = media.provider_media_id.rpartition(PART_SEPARATOR)
        if not tenant_media_owns(stored_name, MAIL_AREA) or not index.isdigit():
            raise ProviderError("Not a part of this tenant's mail.", permanent=True)
        try:
            with default_storage.open(stored_name, "rb") as handle:
                content, mime = mail_part(handle.read(), int(index))
        except (OSError, LookupError) as exc:
            raise ProviderError(f"Mail part unavailable: {exc}", permanent=True) from exc
        if len(content) > max_bytes:
            raise ProviderError("File too large.", permanent=True, code="media_too_large")
        return content, mime

    # ------------------------------------------------------------------ outbound

    def message_id_for(self, connection: ChannelConnection, idempotency_key: str) -> str:
        """Our ``Message-ID`` of a delivery: stable, so a retried send is the same mail."""
        domain = connection.credentials["address"].partition("@")[2] or "tiktickets.invalid"
        key = re.sub(r"[^A-Za-z0-9.-]", "", idempotency_key)[:64]
        return f"<{key}@{domain}>"

    def compose(self, connection: ChannelConnection, message: OutboundMessage) -> EmailMessage:
        """The mail of an agent's message: plain text and HTML (its Markdown), the signature,
        the threading headers, a file attached when the message has one."""
        credentials = connection.credentials
        thread = message.thread
        address = credentials["address"]
        token = str(thread.get("token") or "")
        body = message.body.strip()
        if not thread.get("signed") and thread.get("agent_name") and body:
            body = f"{body}\n\n-- \n{thread['agent_name']}"
        mail = EmailMessage()
        mail["From"] = formataddr((credentials.get("display_name") or "", address))
        mail["To"] = message.recipient
        mail["Reply-To"] = plus_address(address, token)
        mail["Subject"] = reply_subject(str(thread.get("subject") or ""), token)
        mail["Date"] = format_datetime(timezone.now())
        mail["Message-ID"] = self.message_id_for(connection, message.idempotency_key)
        references = [str(ref) for ref in thread.get("references") or [] if ref]
        if references:
            mail["In-Reply-To"] = references[-1]
            mail["References"] = " ".join(references)
        mail["Auto-Submitted"] = "no"
        mail.set_content(body or " ")
        html = _markdown.render(body) if body else ""
        mail.add_alternative(
            f"<!DOCTYPE html><html><body>{html or escape(' ')}</body></html>", subtype="html"
        )
        if message.media_name:
            with default_storage.open(message.media_name, "rb") as handle:
                content = handle.read()
            maintype, _, subtype = (
                message.media_mime_type or "application/octet-stream"
            ).partition("/")
            mail.add_attachment(
                content,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=message.media_filename or "file",
            )
        return mail

    def send(self, connection: ChannelConnection, message: OutboundMessage) -> str:
        mail = self.compose(connection, message)
        credentials = connection.credentials
        with smtp_session(credentials) as smtp:
            try:
                refused = smtp.send_message(
                    mail, from_addr=credentials["address"], to_addrs=[message.recipient]
                )
            except Exception as exc:  # smtplib's refusals: recipients, sender, data
                permanent = getattr(exc, "smtp_code", 0) >= 500
                raise ProviderError(
                    f"The SMTP server refused the mail: {exc}",
                    permanent=permanent,
                    code="smtp_refused",
                ) from exc
        if refused:
            raise ProviderError(
                f"The SMTP server refused the recipient: {json.dumps(refused, default=str)}",
                permanent=True,
                code="smtp_recipient_refused",
            )
        return str(mail["Message-ID"])
