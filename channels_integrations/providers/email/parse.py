"""Reading one received e-mail (RFC 5322 bytes) into neutral items. Pure: no database, no
network. The raw mail is kept in the tenant's private storage by whoever received it; files
are named by that stored mail and their part's index, and read back by ``mail_part``.

- A customer's mail is one text message (its plain-text part, or its HTML part turned into
  text; the quoted history after "On … wrote:" set apart) plus one message per attachment or
  inline image. The text message's provider id is the mail's ``Message-ID``; a file's is that id
  followed by ``#<part index>``. Redeliveries and copies of the same mail carry the same ids.
- A delivery status notification (RFC 3464) about a mail we sent fails that message.
- Automatic replies (``Auto-Submitted`` other than ``no``, ``Precedence: bulk/junk/list``,
  vacation responders' own headers) and other notifications give nothing: they never open a
  ticket nor wake the bot.

References: RFC 5322 (Message-ID, In-Reply-To, References), RFC 3834 (Auto-Submitted),
RFC 3464 (DSN), RFC 8601 (Authentication-Results).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any, cast

import nh3

from channels_integrations.providers.base import (
    InboundItem,
    InboundMedia,
    InboundMessage,
    InboundStatus,
)
from tickets.media import ALLOWED_MIME_TYPES

# A part's index in ``Message.walk()`` order names it inside its stored mail.
PART_SEPARATOR = "#"
# Headers kept on the message (shown in the panel); values are decoded and cut to this length.
HEADER_MAX = 998
# The bot names automatic senders by these local parts (RFC 3834 §5 suggests them too).
_AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster")
_QUOTE_OPENERS = re.compile(
    r"^(?:On .{1,200} wrote:|Em .{1,200} escreveu:|-{2,}\s*Original Message\s*-{2,}"
    r"|-{2,}\s*Mensagem original\s*-{2,}|-{2,}\s*Forwarded message\s*-{2,}"
    r"|-{2,}\s*Mensagem encaminhada\s*-{2,})\s*$",
    re.IGNORECASE,
)
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class MailFacts:
    """What the headers of one mail say, besides its parts."""

    message_id: str
    sender: str
    sender_name: str
    subject: str
    sent_at: datetime | None
    in_reply_to: str
    references: list[str]
    to: list[str]
    cc: list[str]
    automatic: str  # why it is an automatic mail ("auto_submitted", "precedence", …) or ""
    authentication: dict[str, str] = field(default_factory=dict)


def mail_parse(raw: bytes) -> EmailMessage:
    """The mail's object model (the modern policy decodes encoded words and charsets)."""
    return message_from_bytes(raw, policy=policy.default)


def _header(mail: Message, name: str) -> str:
    try:
        value = mail.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot decode
        raw = mail.get_all(name, failobj=[])
        value = str(raw[0]) if raw else ""
    return " ".join(str(value or "").split())[:HEADER_MAX]


def mail_message_id(raw: bytes, mail: Message) -> str:
    """The mail's ``Message-ID`` (``<local@domain>``), or one made from its bytes when it has
    none, so that a copy of the same mail is still recognised."""
    found = _MSGID.findall(_header(mail, "Message-ID"))
    if found:
        return found[0][:250]
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id>"


def _addresses(mail: Message, name: str) -> list[str]:
    values = [str(v) for v in mail.get_all(name, failobj=[])]
    return [addr.lower() for _, addr in getaddresses(values) if "@" in addr][:50]


def _automatic(mail: Message) -> str:
    if mail.get_content_type() == "multipart/report":
        return "report"
    local = parseaddr(_header(mail, "From"))[1].split("@")[0].lower()
    if local in _AUTOMATIC_SENDERS:
        return "report"
    auto = _header(mail, "Auto-Submitted").lower()
    if auto and auto != "no":
        return "auto_submitted"
    if _header(mail, "Precedence").lower() in {"bulk", "junk", "list", "auto_reply"}:
        return "precedence"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if name == "X-Auto-Response-Suppress":
            if _header(mail, name).lower() in {"all", "oof", "autoreply"}:
                return "auto_response"
        elif _header(mail, name):
            return "auto_response"
    return ""


def _authentication(mail: Message) -> dict[str, str]:
    """SPF, DKIM and DMARC results the receiving server wrote (RFC 8601), as ``pass``/``fail``/…"""
    value = _header(mail, "Authentication-Results")
    results: dict[str, str] = {}
    for method in ("spf", "dkim", "dmarc"):
        match = re.search(rf"\b{method}=([a-z]+)", value, re.IGNORECASE)
        if match:
            results[method] = match.group(1).lower()
    return results


def mail_facts(raw: bytes, mail: Message) -> MailFacts:
    name, sender = parseaddr(_header(mail, "From"))
    sent_at: datetime | None = None
    date = _header(mail, "Date")
    if date:
        try:
            sent_at = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            sent_at = None
        if sent_at is not None and sent_at.tzinfo is None:
            sent_at = sent_at.replace(tzinfo=UTC)
    in_reply_to = _MSGID.findall(_header(mail, "In-Reply-To"))
    return MailFacts(
        message_id=mail_message_id(raw, mail),
        sender=sender.strip().lower(),
        sender_name=name.strip(),
        subject=_header(mail, "Subject"),
        sent_at=sent_at,
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=_MSGID.findall(_header(mail, "References"))[-20:],
        to=_addresses(mail, "To"),
        cc=_addresses(mail, "Cc"),
        automatic=_automatic(mail),
        authentication=_authentication(mail),
    )


# --------------------------------------------------------------------------- content


def html_sanitize(markup: str) -> str:
    """HTML safe to show inside the panel: no script, style, form or event attribute; links
    open elsewhere without a referrer. Images keep their source here; the panel loads remote
    ones only when the agent asks (``html_without_remote_images``)."""
    return nh3.clean(
        markup,
        tags={
            "a",
            "b",
            "blockquote",
            "br",
            "code",
            "div",
            "em",
            "h1",
            "h2",
            "h3",
            "h4",
            "hr",
            "i",
            "img",
            "li",
            "ol",
            "p",
            "pre",
            "span",
            "strong",
            "table",
            "tbody",
            "td",
            "th",
            "thead",
            "tr",
            "u",
            "ul",
        },  # fmt: skip
        attributes={"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}},
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )


_IMG_SRC = re.compile(r"""(<img\b[^>]*?)\ssrc="[^"]*"([^>]*>)""", re.IGNORECASE)


def html_without_remote_images(markup: str) -> str:
    """Sanitised HTML with every image's source removed (nothing is fetched from the sender's
    servers, which would tell them the mail was read)."""
    return _IMG_SRC.sub(r"\1\2", markup)


def html_to_text(markup: str) -> str:
    """The readable text of an HTML part (used when a mail has no plain-text part)."""
    spaced = re.sub(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", "\n", markup)
    text = html.unescape(nh3.clean(spaced, tags=set()))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_split_quoted(text: str) -> tuple[str, str]:
    """``(new text, quoted history)``: the history starts at a line such as "On … wrote:", or
    is the block of ``>`` lines at the end."""
    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if _QUOTE_OPENERS.match(line.strip()):
            return "\n".join(lines[:index]).strip(), "\n".join(lines[index:]).strip()
    end = len(lines)
    while end > 0 and (lines[end - 1].startswith(">") or not lines[end - 1].strip()):
        end -= 1
    if end < len(lines) and any(line.startswith(">") for line in lines[end:]):
        return "\n".join(lines[:end]).strip(), "\n".join(lines[end:]).strip()
    return text.strip(), ""


def _part_text(part: Message) -> str:
    try:
        content = cast(EmailMessage, part).get_content()
    except (LookupError, UnicodeError, ValueError, KeyError):
        payload = part.get_payload(decode=True)
        content = payload.decode("latin-1") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _is_file(part: Message) -> bool:
    if part.is_multipart():
        return False
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() == "text" and not part.get_filename():
        return False
    return part.get_content_maintype() != "message"


def mail_bodies(mail: Message) -> tuple[str, str]:
    """``(plain text, html)`` of the mail's own body (the first of each that is not a file)."""
    plain = markup = ""
    for part in mail.walk():
        if part.is_multipart() or _is_file(part):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not plain:
            plain = _part_text(part)
        elif kind == "text/html" and not markup:
            markup = _part_text(part)
    return plain, markup


def _forwarded_texts(mail: Message) -> list[str]:
    """Mails forwarded as attachments (``message/rfc822``): their sender, subject and text."""
    texts = []
    for part in mail.walk():
        if part.get_content_type() != "message/rfc822":
            continue
        inner = part.get_payload()
        forwarded = inner[0] if isinstance(inner, list) and inner else None
        if not isinstance(forwarded, Message):
            continue
        plain, markup = mail_bodies(forwarded)
        body = (plain.strip() or html_to_text(markup)).replace("\r\n", "\n")
        texts.append(
            "---------- Forwarded message ----------\n"
            f"From: {_header(forwarded, 'From')}\nSubject: {_header(forwarded, 'Subject')}\n\n"
            f"{body}"
        )
    return texts[:5]


def _file_kind(mime: str) -> str:
    return str(ALLOWED_MIME_TYPES.get(mime, "document"))


def mail_files(mail: Message) -> list[tuple[int, Message]]:
    """``(index, part)`` of every attachment and inline image, in ``walk()`` order."""
    return [(index, part) for index, part in enumerate(mail.walk()) if _is_file(part)]


def mail_part(raw: bytes, index: int) -> tuple[bytes, str]:
    """The decoded bytes and MIME type of the part ``index`` of a stored mail."""
    for position, part in enumerate(mail_parse(raw).walk()):
        if position == index and not part.is_multipart():
            content = part.get_payload(decode=True)
            return (content if isinstance(content, bytes) else b""), part.get_content_type()
    raise LookupError(index)


# --------------------------------------------------------------------------- items


def _bounced_message_id(mail: Message) -> tuple[str, str]:
    """The ``Message-ID`` of the mail a DSN is about, and the reason the server gave."""
    original = ""
    reason = ""
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in part.get_payload() if isinstance(part.get_payload(), list) else []:
                for name in ("Diagnostic-Code", "Status"):
                    value = block.get(name) if isinstance(block, Message) else None
                    if value and not reason:
                        reason = " ".join(str(value).split())[:400]
        elif kind in ("message/rfc822", "text/rfc822-headers") and not original:
            if kind == "message/rfc822":
                inner = part.get_payload()
                headers = inner[0] if isinstance(inner, list) and inner else None
                found = (
                    _MSGID.findall(str(headers.get("Message-ID", "")))
                    if isinstance(headers, Message)
                    else []
                )
            else:
                found = re.findall(r"(?im)^Message-ID:\s*(<[^<>\s]+>)", _part_text(part))
            original = found[0] if found else ""
    return original, reason


_SUBJECT_TOKEN = re.compile(r"\[#([A-Za-z0-9-]{4,40})\]")
_PLUS_TOKEN = re.compile(r"^[^+@]+\+([A-Za-z0-9-]{4,40})@")


def thread_token(facts: MailFacts) -> str:
    """The ticket protocol a mail names: in a plus-address it was sent to (``local+<protocol>@``,
    the Reply-To of our mail) or in its subject (``[#<protocol>]``)."""
    for address in (*facts.to, *facts.cc):
        found = _PLUS_TOKEN.match(address)
        if found:
            return found.group(1)
    found = _SUBJECT_TOKEN.search(facts.subject)
    return found.group(1) if found else ""


def mail_items(raw: bytes, *, stored_name: str) -> list[InboundItem]:
    """The items of one received mail kept at ``stored_name`` in the tenant's storage."""
    mail = mail_parse(raw)
    facts = mail_facts(raw, mail)
    if facts.automatic:
        if facts.automatic == "report":
            original, reason = _bounced_message_id(mail)
            if original:
                return [
                    InboundStatus(
                        event_id=f"bounce:{facts.message_id}",
                        provider_message_id=original,
                        status="failed",
                        error_code="email_bounced",
                        error_detail=reason or facts.subject,
                        at=facts.sent_at,
                    )
                ]
        return []
    if not facts.sender:
        return []
    plain, markup = mail_bodies(mail)
    text = (plain.strip() or html_to_text(markup)).replace("\r\n", "\n")
    text = "\n\n".join([text, *_forwarded_texts(mail)]).strip()
    shown, quoted = text_split_quoted(text)
    email: dict[str, Any] = {
        "subject": facts.subject,
        "from": facts.sender,
        "to": facts.to,
        "cc": facts.cc,
        "message_id": facts.message_id,
        "in_reply_to": facts.in_reply_to,
        "references": facts.references,
        "thread_token": thread_token(facts),
        "quoted": quoted,
        "html": html_sanitize(markup) if markup else "",
        "authentication": facts.authentication,
        "stored_name": stored_name,
    }
    common: dict[str, Any] = {
        "external_id": facts.sender,
        "contact_name": facts.sender_name,
        "sent_at": facts.sent_at,
        "quoted_provider_message_id": facts.in_reply_to,
    }
    files = mail_files(mail)
    items: list[InboundItem] = []
    if shown or quoted or not files:
        items.append(
            InboundMessage(
                event_id=facts.message_id,
                provider_message_id=facts.message_id,
                kind="text",
                body=shown or facts.subject,
                extra={"email": email},
                **common,
            )
        )
    for index, part in files:
        mime = part.get_content_type()
        content = part.get_payload(decode=True)
        size = len(content) if isinstance(content, bytes) else None
        part_id = f"{facts.message_id}{PART_SEPARATOR}{index}"
        items.append(
            InboundMessage(
                event_id=part_id,
                provider_message_id=part_id,
                kind=_file_kind(mime),
                media=InboundMedia(
                    provider_media_id=f"{stored_name}{PART_SEPARATOR}{index}",
                    mime_type=mime,
                    filename=part.get_filename() or "",
                    size=size,
                ),
                extra={
                    "email": {
                        "subject": facts.subject,
                        "message_id": facts.message_id,
                        "in_reply_to": facts.in_reply_to,
                        "references": facts.references,
                        "thread_token": email["thread_token"],
                        "content_id": _header(part, "Content-ID"),
                        "inline": (part.get_content_disposition() or "") == "inline",
                    }
                },
                **common,
            )
        )
    return items
