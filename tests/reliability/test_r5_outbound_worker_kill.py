"""R5: a Celery worker killed mid-send loses nothing.

K agent replies are queued on a Telegram connection whose Bot API is the provider simulator
(every send takes 80 ms). A real worker process (the ``replies`` queue, production task
settings: acks_late, prefetch 1) starts sending; once a third of them went out it is killed
with SIGKILL, process group and all, while the simulator is answering a send (the critical
window: Telegram accepts the message, we never learn it), then a fresh worker is started and the
sweeper runs as it would a few minutes later. The simulator counts what Telegram would have
received: none lost; the reply in flight at the kill may arrive twice (Telegram's sendMessage
takes no idempotency key), so at most one duplicate for the one kill, reported as a figure.

Rows are committed (the worker is another process), so they are created and deleted from
threads with their own connections, as in R2.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import redis
from django.conf import settings
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from channels_integrations.models import OutboundDelivery
from channels_integrations.services.outbound import outbound_deliveries_sweep
from contacts.models import ContactIdentity
from simulator import Faults, Simulator
from tenants.tenancy import tenant_scope
from tests.reliability.conftest import scaled
from tests.reliability.workers import (
    connection_data_remove,
    worker_env,
    worker_kill,
    worker_start,
)
from tests.support.concurrency import in_thread
from tickets.services.messages import message_send
from tickets.tests.factories import ConnectionFactory, TicketFactory

SEND_LATENCY = 0.08
CLAIM_SECONDS = 2


def _seed(tenant, count: int, token: str) -> dict[str, Any]:
    with tenant_scope(tenant):
        connection = ConnectionFactory(
            provider="telegram",
            credentials={"bot_token": token, "webhook_secret": "r5-secret"},
        )
        agent: Any = AdminFactory()
        ticket: Any = TicketFactory(connection=connection, status="open", assignee=agent)
        ContactIdentity.objects.create(
            contact=ticket.contact, provider="telegram", external_id="424242"
        )
        ids = [
            message_send(ticket=ticket, by=agent, body=f"r5 reply {n:04d}").pk for n in range(count)
        ]
        return {"connection": connection.pk, "messages": ids, "agent": agent.pk}


def _states(tenant, connection_id: int) -> dict[str, int]:
    with tenant_scope(tenant):
        deliveries = OutboundDelivery.objects.filter(connection_id=connection_id)
        return {
            status: deliveries.filter(status=status).count()
            for status in ("pending", "sent", "failed")
        }


def _sweep(tenant) -> int:
    with tenant_scope(tenant):  # as the beat would, once the claims have expired
        return outbound_deliveries_sweep(now=timezone.now() + timedelta(minutes=10))


def test_r5_a_worker_killed_mid_send_loses_nothing(alpha, report_figure, tmp_path) -> None:
    tenant = alpha.tenant
    count = scaled(24)
    sim = Simulator(faults=Faults(latency=SEND_LATENCY)).start()
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("replies", "unacked", "unacked_index")
    token = "5005:R5"
    env = worker_env(
        TELEGRAM_API_BASE_URL=sim.telegram_base_url,
        # The claim a killed worker leaves expires in 2 s instead of 2 minutes.
        OUTBOUND_CLAIM_SECONDS=str(CLAIM_SECONDS),
    )
    log = tmp_path / "worker.log"
    seeded = in_thread(lambda: _seed(tenant, count, token))
    first = second = None
    try:
        first = worker_start(env, queue="replies", name="r5a", log=log)
        deadline = time.monotonic() + 60
        while len(sim.sends()) < count // 3 and time.monotonic() < deadline:
            assert first.poll() is None, log.read_text(errors="replace")[-2000:]
            time.sleep(0.02)
        while not sim.in_flight and time.monotonic() < deadline:
            time.sleep(0.005)  # in the middle of the next send: Telegram has not answered yet
        sent_before_kill = len(sim.sends())
        worker_kill(first)
        second = worker_start(env, queue="replies", name="r5b", log=log)
        swept = 0
        deadline = time.monotonic() + 60
        last_progress, last_count = time.monotonic(), -1
        while time.monotonic() < deadline:
            states = in_thread(lambda: _states(tenant, int(seeded["connection"])))
            if states["sent"] + states["failed"] == count:
                break
            if len(sim.sends()) != last_count:
                last_progress, last_count = time.monotonic(), len(sim.sends())
            elif time.monotonic() - last_progress > CLAIM_SECONDS + 0.5 and swept == 0:
                # The queue is drained; what is left was claimed by the killed worker.
                swept = in_thread(lambda: _sweep(tenant))
            time.sleep(0.2)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                worker_kill(process)
        sim.stop()
        texts = sim.sent_texts()
        in_thread(lambda: connection_data_remove(tenant, seeded["connection"], (seeded["agent"],)))
        broker.delete("replies", "unacked", "unacked_index")

    expected = {f"r5 reply {n:04d}" for n in range(count)}
    delivered = expected & set(texts)
    duplicates = sum(texts[t] - 1 for t in delivered)
    lost = len(expected - delivered)
    report_figure(
        f"R5: {count} replies queued, worker SIGKILLed after {sent_before_kill} sends and "
        f"restarted, sweeper re-enqueued {swept}: {len(delivered)}/{count} delivered, "
        f"{lost} lost, {duplicates} duplicate(s) (possible only for a kill between the "
        f"provider's acceptance and our commit: at most 1 per kill); final states {states}"
    )
    assert lost == 0
    assert duplicates <= 1
    assert states["sent"] == count
