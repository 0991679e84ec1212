"""B11: inbound e-mail through the pipeline at a fixed rate.

A real IMAP server (pymap, maildir backend, on loopback) holds an e-mail connection's mailbox;
mails are delivered into it (IMAP APPEND, as the mailbox's own server does) at ``rate`` a second
for ``seconds``. The connection's mailbox job (``mailbox_watch``: IDLE, else polling) runs in
this process and stores the inbound events; the docker-compose Celery workers
(bench/processes.py) process them into messages. Prints mails read per second, the latency from
a mail's delivery into the mailbox to its message in the database (p50/p99), and reconciles:
messages stored == mails delivered, none lost, none doubled.

    .venv/bin/python bench/email_ingest.py                 # 20/s for 10 s
    .venv/bin/python bench/email_ingest.py --rate 50 --seconds 10
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.harness import BenchContext, Figure, bench_database  # noqa: E402
from bench.topology import (  # noqa: E402
    app_keys,
    app_processes,
    latencies,
    module_logger,
    standalone_main,
    wait_until,
)

SLUG = "benchemail"
ADDRESS = "support@benchemail.example"
PASSWORD = "bench-mailbox"
SENDERS = 50

log = module_logger("email")


def _imap_server(root: Path) -> Any:
    from channels_integrations.providers.email.tests.servers import ImapServer

    server = ImapServer(root)
    server.user_add(ADDRESS, PASSWORD)
    return server.start()


def _inbox(imap: Any) -> Path:
    """The mailbox's INBOX Maildir (created by the server at the first sign-in)."""
    import imaplib

    client = imaplib.IMAP4("127.0.0.1", imap.port, timeout=30)
    client.login(ADDRESS, PASSWORD)
    client.select("INBOX")
    client.logout()
    [maildir] = [path.parent for path in (imap.root).glob("*/new")]
    return maildir


def seed(imap_port: int) -> dict[str, Any]:
    from bench.seeding import tenant_with_agents
    from connections.models import ChannelConnection
    from tenants.services import tenant_public_ensure
    from tenants.tenancy import tenant_scope
    from tickets.models import ConnectionRouting

    tenant_public_ensure()
    tenant, queue, _agents = tenant_with_agents(
        name="Bench e-mail", slug=SLUG, email_domain="benchemail.example", agents=1
    )
    with tenant_scope(tenant):
        connection = ChannelConnection(provider="email", name="E-mail", status="connected")
        connection.credentials = {
            "address": ADDRESS,
            "imap_host": "127.0.0.1",
            "imap_port": imap_port,
            "imap_security": "none",
            "imap_username": ADDRESS,
            "imap_password": PASSWORD,
            "imap_folder": "INBOX",
            "smtp_host": "127.0.0.1",
            "smtp_port": 25,
            "smtp_security": "none",
        }
        connection.save()
        ConnectionRouting.objects.create(connection=connection, default_queue=queue)
    return {"tenant": tenant, "connection_id": connection.pk}


def _mail(n: int, run: str) -> bytes:
    sender = n % SENDERS
    return (
        f"From: Cliente {sender} <cliente{sender}@bench.example>\r\nTo: {ADDRESS}\r\n"
        f"Subject: Pedido {n}\r\nMessage-ID: <{run}-{n}@bench.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Olá, esta é a mensagem {n} do teste de carga.\r\n"
    ).encode()


def feed(maildir: Path, rate: float, seconds: float, run: str) -> dict[str, float]:
    """Deliver ``rate`` mails a second for ``seconds`` into the mailbox's Maildir, as a local
    delivery agent does (write in ``tmp/``, rename into ``new/``); returns each Message-ID's
    delivery time. (The server's own APPEND tops out below 20/s on a shared 2-core machine.)"""
    delivered: dict[str, float] = {}
    total = int(rate * seconds)
    start = time.monotonic()
    for n in range(total):
        due = start + n / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        name = f"{time.time():.6f}.{run}{n}.bench"
        (maildir / "tmp" / name).write_bytes(_mail(n, run))
        os.rename(maildir / "tmp" / name, maildir / "new" / name)
        delivered[f"<{run}-{n}@bench.example>"] = time.time()
    return delivered


def measure(database: str, redis_url: str, rate: float, seconds: float, work: Path) -> dict:
    keys = app_keys()
    os.environ["EMAIL_SENDER_MAX_PER_HOUR"] = str(int(rate * seconds) + 1)
    os.environ["EMAIL_POLL_SECONDS"] = "1"
    with bench_database(database, redis_url=redis_url, log=log) as database:
        from channels_integrations.models import InboundEvent
        from channels_integrations.services.email_inbound import mailbox_watch
        from tenants.tenancy import tenant_scope
        from tickets.models import Message

        imap = _imap_server(work / "imap")
        try:
            seeded = seed(imap.port)
            tenant, connection_id = seeded["tenant"], seeded["connection_id"]
            with app_processes(
                database=database,
                redis_url=redis_url,
                work=work / "app",
                env=keys,
                log=log,
                websockets=False,
            ):
                read: list[int] = []

                def watch() -> None:
                    with tenant_scope(tenant):
                        read.append(
                            mailbox_watch(connection_id=connection_id, seconds=seconds + 30).mails
                        )

                watcher = threading.Thread(target=watch)
                watcher.start()
                started = time.monotonic()
                delivered = feed(_inbox(imap), rate, seconds, run=secrets.token_hex(4))
                feed_s = time.monotonic() - started
                watcher.join(timeout=seconds + 60)
                with tenant_scope(tenant):
                    wait_until(
                        Message.objects.filter(connection_id=connection_id).count,
                        lambda stored: stored >= len(delivered),
                        timeout=60,
                        every=0.5,
                    )
                    rows = list(
                        Message.objects.filter(connection_id=connection_id).values_list(
                            "provider_message_id", "created_at"
                        )
                    )
                    events = dict(
                        InboundEvent.objects.filter(connection_id=connection_id).values_list(
                            "provider_event_id", "created_at"
                        )
                    )
        finally:
            imap.stop()
    message = latencies(
        [
            (created.timestamp() - delivered[provider_id]) * 1000
            for provider_id, created in rows
            if provider_id in delivered
        ]
    )
    stored = latencies(
        [
            (created.timestamp() - delivered[event_id]) * 1000
            for event_id, created in events.items()
            if event_id in delivered
        ]
    )
    ids = [provider_id for provider_id, _ in rows]
    return {
        "rate": rate,
        "seconds": seconds,
        "delivered": len(delivered),
        "delivered_per_s": len(delivered) / feed_s if feed_s else 0.0,
        "read": sum(read),
        "stored": len(rows),
        "lost": len(set(delivered) - set(ids)),
        "doubled": len(ids) - len(set(ids)),
        "stored_p50_ms": stored["p50_ms"],
        "stored_p99_ms": stored["p99_ms"],
        **message,
    }


def print_report(result: dict[str, Any]) -> None:
    print(
        f"B11 e-mail in at {result['rate']:g}/s for {result['seconds']:g} s: "
        f"{result['delivered']} mails delivered ({result['delivered_per_s']:.1f}/s), "
        f"{result['read']} read by the mailbox job, {result['stored']} messages stored; "
        f"mailbox -> stored event p50 {result['stored_p50_ms'] or 0:.0f} ms, "
        f"p99 {result['stored_p99_ms'] or 0:.0f} ms; "
        f"mailbox -> message p50 {result['p50_ms'] or 0:.0f} ms, p99 {result['p99_ms'] or 0:.0f} ms"
        f"; {result['lost']} lost, {result['doubled']} doubled"
    )


def run(ctx: BenchContext) -> list[Figure]:
    """B11 inside ``make bench``."""
    result = measure(ctx.database("email"), ctx.redis_url, 20.0, 10.0, Path(ctx.work_dir) / "email")
    print_report(result)
    ctx.details["email"] = result
    return [
        ctx.figure(
            id="B11.20.stored_p99_ms",
            name="E-mail in at 20/s: mailbox -> stored event p99 (the mailbox job)",
            value=result["stored_p99_ms"],
            unit="ms",
            note=f"p50 {result['stored_p50_ms'] or 0:.0f} ms",
        ),
        ctx.figure(
            id="B11.20.p99_ms",
            name="E-mail in at 20/s: mailbox -> message p99 (IMAP IDLE, Celery worker)",
            value=result["p99_ms"],
            unit="ms",
            note=f"p50 {result['p50_ms'] or 0:.0f} ms; {result['stored']}/{result['delivered']}",
        ),
        ctx.figure(
            id="B11.20.throughput",
            name="E-mail in at 20/s: mails delivered per second",
            value=result["delivered_per_s"],
            unit="mails/s",
            goal=(">=", 19.0),
        ),
        ctx.figure(
            id="B11.lost",
            name="E-mails lost or doubled (reconciliation)",
            value=float(result["lost"] + result["doubled"]),
            unit="messages",
            goal=("==", 0),
            note=f"{result['stored']} stored of {result['delivered']}",
        ),
    ]


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)


def main() -> int:
    return standalone_main(
        name="email_ingest",
        doc=__doc__ or "",
        database="tt_bench_email",
        redis_url="redis://127.0.0.1:6379/3",
        options=options,
        measure=lambda args, work: measure(
            args.database, args.redis_url, args.rate, args.seconds, work
        ),
        report=print_report,
        fresh_work=True,  # the IMAP server's mailbox starts empty
    )


if __name__ == "__main__":
    raise SystemExit(main())
