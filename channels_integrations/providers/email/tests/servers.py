"""Real mail servers on loopback for the e-mail tests: an IMAP server (pymap, maildir backend,
a process of its own that a test may stop and start again with its mail kept) and an SMTP
server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import imaplib
import os
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from pysasl.hashing import BuiltinHash


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ImapServer:
    """pymap serving the mailboxes under ``root``; ``user_add`` creates a mailbox."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        (root / "pymap-etc-passwd").touch()
        (root / "pymap-etc-shadow").touch()

    def user_add(self, name: str, password: str) -> None:
        folder = f"box{len((self.root / 'pymap-etc-passwd').read_text().splitlines())}"
        with (self.root / "pymap-etc-passwd").open("a") as users:
            users.write(f"{name}:::::{folder}:\n")
        with (self.root / "pymap-etc-shadow").open("a") as shadow:
            shadow.write(f"{name}:{BuiltinHash(rounds=1000).hash(password)}\n")

    def start(self) -> ImapServer:
        pymap = Path(sys.executable).with_name("pymap")
        self.process = subprocess.Popen(  # noqa: S603 - our own test server
            [
                str(pymap),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-service",
                "managesieve",
                "--no-service",
                "admin",
                "maildir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "pymap.log").open("ab"),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("pymap did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def deliver(self, user: str, password: str, raw: bytes) -> None:
        """Put a mail in the user's INBOX, as their mail server does on delivery (APPEND)."""
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            client.login(user, password)
            client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
        finally:
            client.logout()


class SmtpSink:
    """An SMTP server on loopback keeping each message with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
