"""Real Celery workers for the worker-kill tests (R4, R5): started as ``bench/processes.py`` and
docker-compose start them (production task settings: acks_late, reject on worker lost,
prefetch 1), killed with SIGKILL, and the committed rows they worked on removed afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection as db
from django.db.models import Count
from django.utils import timezone

from channels_integrations.models import InboundEvent, OutboundDelivery
from channels_integrations.services.inbound import inbound_events_sweep
from connections.models import ChannelConnection
from contacts.models import Contact
from tenants.channel_routes import channel_routes_clear, channel_routes_set
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket, TicketEvent

ROOT = Path(__file__).resolve().parents[2]


def worker_env(**extra: str) -> dict[str, str]:
    """The test settings, database and Redis database for a worker process."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tiktickets.settings.test",
        "POSTGRES_DB": str(db.settings_dict["NAME"]),
        "TEST_REDIS_URL": settings.CELERY_BROKER_URL,
        **extra,
    }


def worker_start(
    env: dict[str, str], *, queue: str, name: str, log: Path
) -> subprocess.Popen[bytes]:
    """One worker process (prefork, one pool child) consuming ``queue``."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and app
        [
            str(Path(sys.executable).parent / "celery"),
            "--app=tiktickets",
            "worker",
            f"--queues={queue}",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname={name}-{os.getpid()}@%h",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL reaches the pool child too
    )


def worker_kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool child (its process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def pool_children(process: subprocess.Popen[bytes]) -> list[int]:
    """The PIDs of the worker's pool children (the processes that run tasks). Replacements
    are forked by the pool's supervisor thread, so every thread's children are read."""
    pids: list[int] = []
    for children in Path(f"/proc/{process.pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            pids += [int(pid) for pid in children.read_text().split()]
    return pids


def telegram_connection(tenant: Any, *, token: str, secret: str, bot_token: str) -> Any:
    """A Telegram connection of ``tenant`` routed by its webhook token (committed by the
    caller's thread)."""
    from tickets.tests.factories import ConnectionFactory

    with tenant_scope(tenant):
        connection = ConnectionFactory(
            provider="telegram",
            credentials={"bot_token": bot_token, "webhook_secret": secret},
            webhook_token=token,
        )
        channel_routes_set(
            provider="telegram", connection_public_id=connection.public_id, keys=[token]
        )
    return connection


def connection_data_remove(tenant: Any, connection_id: int, user_ids: tuple[int, ...] = ()) -> None:
    """Delete what a test committed for one connection: its tickets, messages, contacts,
    events, deliveries, routes, the connection itself and the given users."""
    from accounts.models import User

    with tenant_scope(tenant):
        tickets = Ticket.objects.filter(connection_id=connection_id)
        contacts = list(tickets.values_list("contact_id", flat=True))
        OutboundDelivery.objects.filter(connection_id=connection_id).delete()
        Message.objects.filter(ticket__in=tickets).delete()
        TicketEvent.objects.filter(ticket__in=tickets).delete()
        tickets.delete()
        Contact.objects.filter(pk__in=contacts).delete()
        InboundEvent.objects.filter(connection_id=connection_id).delete()
        connection = ChannelConnection.objects.filter(pk=connection_id).first()
        if connection is not None:
            channel_routes_clear(connection_public_id=connection.public_id)
            connection.delete()
        User.objects.filter(pk__in=user_ids).delete()


def inbound_outcome(tenant: Any, connection_id: int) -> dict[str, Any]:
    """What became of a connection's inbound events: their statuses, how many were stored and
    still wait, and the distinct and doubled messages they made."""
    with tenant_scope(tenant):
        events = InboundEvent.objects.filter(connection_id=connection_id)
        messages = Message.objects.filter(connection_id=connection_id, direction="in")
        per_id = messages.values("provider_message_id").annotate(n=Count("pk"))
        # The events' counts from one read: read apart, a worker committing in between made
        # "waiting" 0 while the statuses read just before still showed events received.
        statuses: dict[str, int] = dict(
            events.values_list("status").annotate(n=Count("pk")).order_by()
        )
        return {
            "events": statuses,
            "stored": sum(statuses.values()),
            "waiting": statuses.get(InboundEvent.Status.RECEIVED, 0),
            "messages": messages.count(),
            "distinct": per_id.count(),
            "doubled": sum(row["n"] - 1 for row in per_id if row["n"] > 1),
        }


def inbound_sweep_as_beat(tenant: Any) -> int:
    """The beat's sweep of waiting inbound events, run as if they were old enough."""
    with tenant_scope(tenant):
        return inbound_events_sweep(now=timezone.now() + timedelta(minutes=30))
