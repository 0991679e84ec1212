"""Receivers of Django's auth signals."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from tenants.realtime import CLOSE_UNAUTHENTICATED, session_group, sockets_disconnect


def close_session_sockets(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``user_logged_out``: the sockets opened with this browser's session close at once (4401),
    whether it signed out of the dashboard or the Django admin; other sessions keep theirs."""
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    if session is not None and key:
        group = session_group(key)  # named now, in the request's tenant
        # The session ends before its sockets are told. Django flushes it only after this
        # signal, and the close is sent at once (autocommit): a tab that reloads on the close
        # would otherwise find the session still valid and stay signed in, its sign-out's own
        # navigation cancelled by the reload. Django's flush then finds nothing left to delete.
        session.delete()
        transaction.on_commit(
            partial(sockets_disconnect, group, CLOSE_UNAUTHENTICATED), robust=True
        )
