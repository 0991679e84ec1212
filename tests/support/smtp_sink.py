"""A real SMTP server on loopback that keeps what it receives, for tests of mails the app sends
through Django's SMTP backend (nothing replaced: the mail crosses a socket)."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class _Keeper:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_sink(settings: Any) -> Iterator[list[EmailMessage]]:
    """Start the server on a free loopback port, point Django's SMTP backend at it (``settings``
    is pytest-django's fixture) and yield the list the received messages are appended to."""
    keeper = _Keeper()
    with socket.socket() as probe:  # a free port (the controller checks its own by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(keeper, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield keeper.messages
    finally:
        controller.stop()
