"""A user's dashboard sessions: which devices are signed in, and signing them out.

Sessions are Django's database sessions of the current schema; the user a row belongs to is
inside its signed data, so the list decodes the schema's live sessions (one query; a tenant has
as many as its users have browsers). The device's address and browser are written into the
session at sign-in (``session_device_remember``), so the list can tell devices apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User
from core.client_ip import client_ip
from tenants.realtime import CLOSE_UNAUTHENTICATED, session_group, sockets_disconnect

DEVICE_IP = "tt_ip"
DEVICE_AGENT = "tt_user_agent"
DEVICE_SINCE = "tt_signed_in_at"


@dataclass(frozen=True)
class UserSession:
    """One signed-in browser of a user; ``id`` is a digest of its key (the key stays secret)."""

    id: str
    ip: str
    user_agent: str
    device: str
    signed_in_at: datetime | None
    expires_at: datetime
    current: bool


# (token in the User-Agent, name shown), first match wins: Edge and Opera also say "Chrome",
# Chrome also says "Safari", Android also says "Linux".
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """A short "browser · system" name for a User-Agent (empty when it names neither)."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


def session_id(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()[:24]


def session_device_remember(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: note the device's address, browser and sign-in time in its session."""
    request.session[DEVICE_IP] = client_ip(request)
    request.session[DEVICE_AGENT] = request.headers.get("User-Agent", "")[:300]
    request.session[DEVICE_SINCE] = timezone.now().isoformat()


def _sessions_of(user: User) -> list[tuple[Session, dict[str, Any]]]:
    live = Session.objects.filter(expire_date__gt=timezone.now()).order_by("-expire_date")
    found = []
    for session in live:
        data = session.get_decoded()
        if str(data.get(SESSION_KEY)) == str(user.pk):
            found.append((session, data))
    return found


def user_sessions(*, user: User, current_key: str | None) -> list[UserSession]:
    """The user's live dashboard sessions, the current one first."""
    rows = []
    for session, data in _sessions_of(user):
        since = data.get(DEVICE_SINCE)
        rows.append(
            UserSession(
                id=session_id(session.session_key),
                ip=str(data.get(DEVICE_IP, "")),
                user_agent=str(data.get(DEVICE_AGENT, "")),
                device=device_label(str(data.get(DEVICE_AGENT, ""))),
                signed_in_at=datetime.fromisoformat(since) if isinstance(since, str) else None,
                expires_at=session.expire_date,
                current=session.session_key == current_key,
            )
        )
    return sorted(rows, key=lambda row: not row.current)


@transaction.atomic
def user_sessions_end(
    *, user: User, keep_key: str | None, only_id: str | None = None, tokens: bool = False
) -> int:
    """Sign the user out of their other sessions (or only the one whose id is ``only_id``);
    the session ``keep_key`` is never ended. Their open websockets close (4401) after commit,
    as on sign-out. With ``tokens``, every refresh token of the user is revoked too (API
    clients sign in again once their short-lived access token expires). Returns how many
    sessions ended."""
    ended = [
        session.session_key
        for session, _data in _sessions_of(user)
        if session.session_key != keep_key
        and (only_id is None or session_id(session.session_key) == only_id)
    ]
    Session.objects.filter(session_key__in=ended).delete()
    for key in ended:
        transaction.on_commit(
            partial(sockets_disconnect, session_group(key), CLOSE_UNAUTHENTICATED), robust=True
        )
    if tokens:
        outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now())
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
        )
    return len(ended)
