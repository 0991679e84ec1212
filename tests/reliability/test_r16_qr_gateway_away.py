"""R16: the WhatsApp QR gateway goes away mid-conversation and nothing is lost or doubled.

A QR connection talks to the simulated Evolution API gateway; a real worker process (the
``replies`` queue, production task settings, a 1-second back-off base) sends the agent's
replies. Halfway through, the gateway reports the phone's session lost (``connection.update``
``close``, 428) and then stops answering at all (503 to every call) while the agent keeps
replying. The connection must show it is down; the replies wait, retried with back-off. The
gateway comes back, reports the session open again, and delivers the customer's messages it
held while away (each posted twice, as a gateway retrying its webhooks would). Figures: replies
delivered once each, none lost; the customer's messages stored once each; the connection's
status while away and after.

Rows are committed (the worker is another process), so they are created, processed and
deleted from threads with their own connections, as in R5.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

import redis
from django.db import connection as db_connection

from accounts.tests.factories import AdminFactory
from channels_integrations.models import OutboundDelivery
from channels_integrations.providers.whatsapp_qr.tests.support import (
    GLOBAL_KEY,
    deliver,
    instance_of,
    qr_connection,
)
from channels_integrations.tests.support import process_all
from connections.models import ChannelConnection
from simulator import Simulator
from tenants.tenancy import tenant_scope
from tests.reliability.conftest import scaled
from tests.reliability.workers import (
    connection_data_remove,
    inbound_outcome,
    worker_env,
    worker_kill,
    worker_start,
)
from tests.support.concurrency import in_thread
from tickets.models import Ticket
from tickets.services.messages import message_send

CUSTOMER = "5511944443333"
AWAY_SECONDS = 3.0


def _deliver(url: str, body: bytes, headers: dict[str, str]) -> int:
    """A webhook through Django's client on the posting thread; a webhook the gateway posts
    while answering a call (the first QR code) runs on the simulator's request thread, whose
    database connection is closed after it (nothing else would)."""
    try:
        return deliver(url, body, headers)
    finally:
        if "process_request_thread" in threading.current_thread().name:
            db_connection.close()


def _seed(tenant, sim: Simulator) -> dict[str, Any]:
    """The paired connection and the customer's first message, processed: its open ticket,
    assigned to the admin who made the connection (the one user the test removes)."""
    with tenant_scope(tenant):
        agent: Any = AdminFactory()
    connection = qr_connection(tenant, admin=agent)
    name = instance_of(connection)
    sim.evolution.scan(name)
    sim.evolution.customer_text(name, sender=CUSTOMER, text="r16 first", message_id="R16IN0000")
    process_all(tenant)
    with tenant_scope(tenant):
        ticket = Ticket.objects.get(connection=connection)
        Ticket.objects.filter(pk=ticket.pk).update(status="open", assignee=agent)
    return {"connection": connection.pk, "ticket": ticket.pk, "agent": agent.pk, "name": name}


def _reply(tenant, seeded: dict[str, Any], body: str) -> int:
    with tenant_scope(tenant):
        ticket = Ticket.objects.select_related("assignee").get(pk=seeded["ticket"])
        assert ticket.assignee is not None
        return int(message_send(ticket=ticket, by=ticket.assignee, body=body).pk)


def _status(tenant, connection_id: int) -> str:
    with tenant_scope(tenant):
        return str(ChannelConnection.objects.get(pk=connection_id).status)


def _states(tenant, connection_id: int) -> dict[str, int]:
    with tenant_scope(tenant):
        deliveries = OutboundDelivery.objects.filter(connection_id=connection_id)
        return {
            status: deliveries.filter(status=status).count()
            for status in ("pending", "sent", "failed")
        }


def _wait_sends(sim: Simulator, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while len(sim.sends()) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_r16_the_qr_gateway_going_away_loses_and_doubles_nothing(
    alpha, report_figure, tmp_path, settings
) -> None:
    tenant = alpha.tenant
    before, during = scaled(4), scaled(8)
    count = before + during
    sim = Simulator().start()
    sim.evolution.api_key = GLOBAL_KEY
    sim.evolution.qr_interval = 3600
    sim.evolution.deliver = _deliver
    settings.EVOLUTION_API_URL = sim.evolution_url
    settings.EVOLUTION_API_KEY = GLOBAL_KEY
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("replies", "unacked", "unacked_index")
    env = worker_env(
        EVOLUTION_API_URL=sim.evolution_url,
        EVOLUTION_API_KEY=GLOBAL_KEY,
        OUTBOUND_RETRY_BASE_SECONDS="1",
    )
    log = tmp_path / "worker.log"
    seeded = in_thread(lambda: _seed(tenant, sim))
    name = seeded["name"]
    worker = None
    try:
        worker = worker_start(env, queue="replies", name="r16", log=log)
        for n in range(before):
            in_thread(partial(_reply, tenant, seeded, f"r16 reply {n:04d}"))
        _wait_sends(sim, before, 60)
        assert len(sim.sends()) == before, log.read_text(errors="replace")[-2000:]

        # Away: the session is reported lost, then the gateway answers nothing but 503.
        in_thread(lambda: sim.evolution.close(name, reason=428))
        in_thread(lambda: process_all(tenant))
        status_away = in_thread(lambda: _status(tenant, seeded["connection"]))
        sim.evolution.down = True
        for n in range(before, count):
            in_thread(partial(_reply, tenant, seeded, f"r16 reply {n:04d}"))
        time.sleep(AWAY_SECONDS)
        refused = sum(1 for r in sim.requests if r.status == 503)
        states_away = in_thread(lambda: _states(tenant, seeded["connection"]))

        # Back: the session reopens and the messages held meanwhile arrive, each twice.
        sim.evolution.down = False
        sim.evolution.hold = True
        sim.evolution.scan(name)
        held = [
            sim.evolution.customer_text(
                name, sender=CUSTOMER, text=f"r16 in {n}", message_id=f"R16IN{n + 1:04d}"
            )
            for n in range(scaled(5))
        ]
        sim.evolution.held *= 2
        sim.evolution.hold = False
        statuses = in_thread(sim.evolution.release)
        in_thread(lambda: process_all(tenant))
        status_back = in_thread(lambda: _status(tenant, seeded["connection"]))
        _wait_sends(sim, count, 90)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = in_thread(lambda: _states(tenant, seeded["connection"]))
            if states["sent"] + states["failed"] == count:
                break
            time.sleep(0.2)
        inbound = in_thread(lambda: inbound_outcome(tenant, seeded["connection"]))
    finally:
        if worker is not None and worker.poll() is None:
            worker_kill(worker)
        sim.stop()
        texts = sim.sent_texts()
        in_thread(lambda: connection_data_remove(tenant, seeded["connection"], (seeded["agent"],)))
        broker.delete("replies", "inbound", "unacked", "unacked_index")

    expected = {f"r16 reply {n:04d}" for n in range(count)}
    delivered = expected & set(texts)
    duplicates = sum(texts[t] - 1 for t in delivered)
    lost = len(expected - delivered)
    report_figure(
        f"R16: {count} replies ({during} while the QR gateway was away {AWAY_SECONDS:.0f} s, "
        f"{refused} calls refused with 503): {len(delivered)}/{count} delivered, {lost} lost, "
        f"{duplicates} duplicate(s); connection {status_away} while away, {status_back} after; "
        f"{len(held)} customer messages held by the gateway, posted twice: "
        f"{inbound['distinct']} stored once each ({inbound['messages'] - 1} new rows)"
    )
    assert status_away == "error"  # marked down (the session lost), admins alerted
    assert (states_away["pending"], states_away["sent"]) == (during, before)
    assert refused > 0  # the worker did try while the gateway was away
    assert status_back == "connected"
    assert statuses == [200] * (2 * (len(held) + 1))  # the reopened session's update too
    assert lost == 0
    assert duplicates == 0
    assert states["sent"] == count
    assert inbound["messages"] == inbound["distinct"] == len(held) + 1
