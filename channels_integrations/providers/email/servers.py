"""Talking to a connection's mail servers: IMAP (imap-tools) to read the mailbox, SMTP
(``smtplib``) to send. Every failure becomes a ``ProviderError``: a refused sign-in is
permanent (the admin must fix the credentials), a network problem temporary (retried).

IMAP: RFC 9051 / RFC 3501 (UID, UIDVALIDITY, RFC822.SIZE), RFC 2177 (IDLE).
"""

from __future__ import annotations

import imaplib
import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxLoginError

from channels_integrations.providers.base import ProviderError
from channels_integrations.providers.email.config import SECURITY_SSL, SECURITY_STARTTLS

# Seconds a server may take to answer one command before the attempt counts as failed.
SERVER_TIMEOUT = 30


def _network_error(server: str, exc: BaseException) -> ProviderError:
    return ProviderError(
        _("The %(server)s server could not be reached: %(reason)s")
        % {"server": server, "reason": exc},
        permanent=False,
        code=f"{server.lower()}_unreachable",
    )


@contextmanager
def imap_session(credentials: dict[str, Any]) -> Iterator[BaseMailBox]:
    """A signed-in IMAP session on the connection's folder, logged out on exit."""
    host, port = credentials["imap_host"], int(credentials["imap_port"])
    security = credentials.get("imap_security", SECURITY_SSL)
    try:
        box: BaseMailBox
        if security == SECURITY_SSL:
            box = MailBox(
                host, port, timeout=SERVER_TIMEOUT, ssl_context=ssl.create_default_context()
            )
        elif security == SECURITY_STARTTLS:
            box = MailBoxStartTls(
                host, port, timeout=SERVER_TIMEOUT, ssl_context=ssl.create_default_context()
            )
        else:
            box = MailBoxUnencrypted(host, port, timeout=SERVER_TIMEOUT)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise _network_error("IMAP", exc) from exc
    try:
        box.login(
            credentials["imap_username"],
            credentials["imap_password"],
            initial_folder=credentials.get("imap_folder") or "INBOX",
        )
    except MailboxLoginError as exc:
        _close(box)
        raise ProviderError(
            _("The IMAP server refused this user name and password."),
            permanent=True,
            code="imap_login_refused",
            field="imap_password",
        ) from exc
    except (OSError, imaplib.IMAP4.error) as exc:
        _close(box)
        raise ProviderError(
            _("The IMAP server did not open the folder: %(reason)s") % {"reason": exc},
            permanent=True,
            code="imap_folder_refused",
            field="imap_folder",
        ) from exc
    try:
        yield box
    except (OSError, imaplib.IMAP4.error, ImapToolsError) as exc:
        # A dropped connection (a server restart) or an answer the session cannot go on from:
        # the next poll signs in again and resumes after the stored cursor.
        raise _network_error("IMAP", exc) from exc
    finally:
        _close(box)


def _close(box: BaseMailBox) -> None:
    try:
        box.logout()
    except Exception:  # noqa: BLE001 - the session is gone anyway
        with suppress(Exception):
            box.client.shutdown()


@dataclass(frozen=True)
class FolderState:
    uid_validity: int
    uid_next: int


def imap_folder_state(box: BaseMailBox) -> FolderState:
    status = box.folder.status(box.folder.get())
    return FolderState(
        uid_validity=int(status.get("UIDVALIDITY", 0)), uid_next=int(status.get("UIDNEXT", 0))
    )


def imap_uids_after(box: BaseMailBox, last_uid: int, *, limit: int) -> list[int]:
    """UIDs greater than ``last_uid`` in ascending order, at most ``limit`` of them. (``N:*``
    always matches the highest message, even below N: it is filtered out here.)"""
    uids = [int(uid) for uid in box.uids(f"UID {last_uid + 1}:*")]
    return sorted(uid for uid in uids if uid > last_uid)[:limit]


def imap_sizes(box: BaseMailBox, uids: list[int]) -> dict[int, int]:
    """RFC822.SIZE of each UID (read before the mail itself, to refuse an oversized one)."""
    if not uids:
        return {}
    _status, data = box.client.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
    sizes: dict[int, int] = {}
    for line in data:
        text = line.decode() if isinstance(line, bytes) else str(line)
        parts = text.replace("(", " ").replace(")", " ").split()
        if "UID" in parts and "RFC822.SIZE" in parts:
            sizes[int(parts[parts.index("UID") + 1])] = int(parts[parts.index("RFC822.SIZE") + 1])
    return sizes


_FETCH_UID = re.compile(rb"\bUID (\d+)")


def imap_fetch_raw(box: BaseMailBox, uids: list[int]) -> dict[int, bytes]:
    """The whole mails ``uids`` in one command (``BODY.PEEK[]``: the customer's client still
    sees them unread); a mail the server did not return is missing from the answer."""
    if not uids:
        return {}
    _status, data = box.client.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    mails: dict[int, bytes] = {}
    for entry in data:
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], bytes):
            found = _FETCH_UID.search(entry[0])
            if found:
                mails[int(found.group(1))] = entry[1]
    return mails


def box_has_idle(box: BaseMailBox) -> bool:
    """Whether the signed-in server offers IDLE (RFC 2177); asked again after sign-in, since
    servers may announce it only to signed-in sessions."""
    if "IDLE" in box.client.capabilities:
        return True
    _status, data = box.client.capability()
    return any(b"IDLE" in (line or b"").upper().split() for line in data if isinstance(line, bytes))


def imap_idle_wait(box: BaseMailBox, seconds: float) -> bool:
    """Wait up to ``seconds`` for the server to announce new mail (IDLE); True when it did."""
    responses = box.idle.wait(timeout=seconds)
    return bool(responses)


def imap_check(credentials: dict[str, Any]) -> dict[str, Any]:
    with imap_session(credentials) as box:
        state = imap_folder_state(box)
        return {"imap_idle": "IDLE" in box.client.capabilities, "uid_validity": state.uid_validity}


@contextmanager
def smtp_session(credentials: dict[str, Any]) -> Iterator[smtplib.SMTP]:
    """A signed-in SMTP session (TLS as the connection says), closed on exit."""
    host, port = credentials["smtp_host"], int(credentials["smtp_port"])
    security = credentials.get("smtp_security", SECURITY_STARTTLS)
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if security == SECURITY_SSL:
            smtp = smtplib.SMTP_SSL(host, port, timeout=SERVER_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=SERVER_TIMEOUT)
            if security == SECURITY_STARTTLS:
                smtp.starttls(context=context)
    except smtplib.SMTPNotSupportedError as exc:
        raise ProviderError(
            _("The SMTP server does not offer STARTTLS."),
            permanent=True,
            code="smtp_no_starttls",
            field="smtp_security",
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise _network_error("SMTP", exc) from exc
    try:
        if credentials.get("smtp_username"):
            try:
                smtp.login(credentials["smtp_username"], credentials.get("smtp_password", ""))
            except smtplib.SMTPAuthenticationError as exc:
                raise ProviderError(
                    _("The SMTP server refused this user name and password."),
                    permanent=True,
                    code="smtp_login_refused",
                    field="smtp_password",
                ) from exc
        yield smtp
    except (TimeoutError, OSError, smtplib.SMTPServerDisconnected) as exc:
        raise _network_error("SMTP", exc) from exc
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def smtp_check(credentials: dict[str, Any]) -> None:
    with smtp_session(credentials) as smtp:
        code, _message = smtp.noop()
        if code != 250:
            raise ProviderError(
                _("The SMTP server did not answer as expected (%(code)s).") % {"code": code},
                permanent=False,
                code="smtp_unexpected",
            )
