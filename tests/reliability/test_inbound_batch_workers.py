"""Inbound batches with real Celery workers (services/inbound_batches.py): two workers keep
each ticket's messages in arrival order, and a worker killed in the middle of a batch loses and
doubles nothing, neither stored messages nor the live events delivered after the batch's
commit.

Telegram text updates are posted to the connection's webhook (committed, from a thread, as in
R4); real workers (production task settings: acks late, reject on worker lost) serve the
``inbound`` queue.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from functools import partial
from typing import Any

import psycopg
import redis
from django.conf import settings

from channels_integrations.services.inbound_batches import inbound_batch_process
from conftest import host_client
from core.redis import redis_client
from realtime.stream import stream_last_id
from simulator import telegram_delivery, telegram_text_update
from tenants.tenancy import redis_key, tenant_scope
from tests.reliability.conftest import scaled
from tests.reliability.workers import (
    connection_data_remove,
    inbound_outcome,
    pool_children,
    telegram_connection,
    worker_env,
    worker_kill,
    worker_start,
)
from tests.support.concurrency import database_session, in_thread
from tickets.models import Message, Ticket

SECRET = "batch-secret"


def _connection(tenant: Any, token: str) -> int:
    connection = telegram_connection(tenant, token=token, secret=SECRET, bot_token="4004:BATCH")
    return int(connection.pk)


def _post(token: str, updates: list[tuple[int, int, str]]) -> None:
    client = host_client("localhost")
    for update_id, chat_id, text in updates:
        delivery = telegram_delivery(
            webhook_token=token,
            secret=SECRET,
            update=telegram_text_update(update_id=update_id, chat_id=chat_id, text=text),
        )
        response = client.post(
            delivery.path,
            delivery.body,
            "application/json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
        )
        assert response.status_code == 200


def _orders(tenant: Any, connection_id: int) -> dict[str, list[int]]:
    """Each customer's message numbers, in the order their ticket stores them."""
    with tenant_scope(tenant):
        rows = Message.objects.filter(connection_id=connection_id, direction="in").order_by("id")
        orders: dict[str, list[int]] = {}
        for body in rows.values_list("body", flat=True):
            customer, number = body.split(":")
            orders.setdefault(customer, []).append(int(number))
        return orders


def _wait_done(tenant: Any, connection_id: int, workers: list[Any], seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    outcome: dict[str, Any] = {}
    while time.monotonic() < deadline:
        for worker in workers:
            assert worker.poll() is None
        outcome = in_thread(lambda: inbound_outcome(tenant, connection_id))
        if outcome["waiting"] == 0:
            break
        time.sleep(0.2)
    return outcome


def test_two_workers_keep_each_tickets_messages_in_arrival_order(
    alpha, report_figure, tmp_path
) -> None:
    tenant = alpha.tenant
    token = "tok-batch-order-000001"
    count = scaled(80)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("inbound", "unacked", "unacked_index")
    connection_id = in_thread(lambda: _connection(tenant, token))
    env = worker_env()
    workers = []
    started = time.monotonic()
    try:
        workers = [
            worker_start(env, queue="inbound", name=f"batch{n}", log=tmp_path / f"w{n}.log")
            for n in range(2)
        ]
        updates = [(60_000 + n, 8_000 + n % 4, f"c{n % 4}:{n}") for n in range(count)]
        # Posted in waves while both workers run: each wave publishes a task once the previous
        # one has started, so both workers hold tasks of the connection at the same time.
        for start in range(0, count, 10):
            wave = updates[start : start + 10]
            in_thread(partial(_post, token, wave))
            time.sleep(0.05)
        outcome = _wait_done(tenant, connection_id, workers, 240)
        orders = in_thread(lambda: _orders(tenant, connection_id))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker_kill(worker)
        in_thread(lambda: connection_data_remove(tenant, connection_id))
        broker.delete("inbound", "unacked", "unacked_index")

    report_figure(
        f"Batches, two workers: {count} webhooks from 4 customers, {outcome['distinct']} "
        f"messages, {outcome['doubled']} doubled, each ticket in arrival order: "
        f"{all(o == sorted(o) for o in orders.values())}; {time.monotonic() - started:.1f} s"
    )
    assert outcome["events"] == {"processed": count}
    assert outcome["distinct"] == count
    assert outcome["doubled"] == 0
    assert sorted(orders) == ["c0", "c1", "c2", "c3"]
    for customer, numbers in orders.items():
        expected = [n for n in range(count) if f"c{n % 4}" == customer]
        assert numbers == expected


def _lock_ticket(schema: str, ticket_id: int) -> psycopg.Connection:
    """Another session holding the ticket's row lock (as an agent's change would)."""
    holder = database_session(schema=schema)
    holder.execute("SELECT id FROM tickets_ticket WHERE id = %s FOR UPDATE", [ticket_id])
    return holder


def _blocked_by(holder: psycopg.Connection) -> int:
    """How many other sessions wait for a lock the holder has (asked from a session of its
    own: inside the holder's transaction, pg_stat_activity would stay as first read)."""
    with database_session(autocommit=True) as watcher:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            [holder.info.backend_pid],
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_worker_killed_in_the_middle_of_a_batch_loses_and_doubles_nothing(
    alpha, report_figure, tmp_path
) -> None:
    tenant = alpha.tenant
    token = "tok-batch-kill-0000001"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("inbound", "unacked", "unacked_index")
    connection_id = in_thread(lambda: _connection(tenant, token))
    log = tmp_path / "worker.log"
    worker = holder = None
    try:
        # The customer "c9" has a ticket already.
        in_thread(lambda: _post(token, [(70_000, 9_009, "c9:0")]))

        def first() -> None:
            with tenant_scope(tenant):
                assert inbound_batch_process(connection_id=connection_id) == (1, 1)

        in_thread(first)
        ticket_id = in_thread(
            lambda: _scoped(tenant, lambda: Ticket.objects.get(connection_id=connection_id).pk)
        )
        # A batch of 11: five new customers, then c9 (whose ticket is held), then five more.
        updates = [(70_001 + n, 9_000 + n, f"c{n}:1") for n in range(5)]
        updates += [(70_006, 9_009, "c9:1")]
        updates += [(70_007 + n, 9_010 + n, f"d{n}:1") for n in range(5)]
        last_event = in_thread(lambda: _scoped(tenant, stream_last_id))
        holder = _lock_ticket(tenant.schema_name, ticket_id)
        in_thread(lambda: _post(token, updates))
        # As docker-compose.yml starts the inbound worker: below the web processes' priority.
        env = worker_env(CELERY_WORKER_NICE="10")
        worker = worker_start(env, queue="inbound", name="batchkill", log=log)
        deadline = time.monotonic() + 240  # the worker boots (Django, the app) first
        while _blocked_by(holder) == 0:
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
            time.sleep(0.05)
        # Mid-batch: five messages stored in its open transaction, none committed.
        assert in_thread(lambda: inbound_outcome(tenant, connection_id))["messages"] == 1
        children = pool_children(worker)
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        niceness = [os.getpriority(os.PRIO_PROCESS, pid) for pid in [worker.pid, *children]]
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        holder.rollback()
        outcome = _wait_done(tenant, connection_id, [worker], 240)
        orders = in_thread(lambda: _orders(tenant, connection_id))
        live = _live_after(tenant, last_event, messages=11)
    finally:
        if holder is not None:
            holder.close()
        if worker is not None and worker.poll() is None:
            worker_kill(worker)
        in_thread(lambda: connection_data_remove(tenant, connection_id))
        broker.delete("inbound", "unacked", "unacked_index")

    lost_tasks = log.read_text(errors="replace").count("Task handler raised error: WorkerLostError")
    report_figure(
        f"Batches, worker killed mid-batch ({len(children)} pool child, {lost_tasks} task "
        f"lost and handed out again): 12 webhooks, {outcome['distinct']} messages, "
        f"{12 - outcome['distinct']} lost, {outcome['doubled']} doubled"
    )
    assert niceness == [min(ours + 10, 19)] * (1 + len(children))
    assert lost_tasks >= 1
    assert outcome["events"] == {"processed": 12}
    assert outcome["distinct"] == 12
    assert outcome["doubled"] == 0
    assert orders["c9"] == [0, 1]
    # The killed batch announced nothing; the batch done again announced each message and
    # each new ticket once (its events delivered together after its commit).
    assert sorted(live["message.created"].values()) == [1] * 11
    assert sorted(live["ticket.created"].values()) == [1] * 10


def _live_after(tenant: Any, last_id: int, *, messages: int) -> dict[str, Counter[str]]:
    """How many times each message and ticket was announced on the tenant's live stream
    after ``last_id`` (waiting up to 30 s for ``messages`` message.created: the live events go
    out just after the commit that marks the events processed)."""

    def read() -> dict[str, Counter[str]]:
        with tenant_scope(tenant):
            found: dict[str, Counter[str]] = {
                "message.created": Counter(),
                "ticket.created": Counter(),
            }
            stream = redis_client().xrange(redis_key("realtime", "stream"), min=f"{last_id + 1}-0")
            for _entry_id, fields in stream:
                envelope = json.loads(fields["e"])
                if envelope["type"] == "message.created":
                    found["message.created"][envelope["data"]["message"]["id"]] += 1
                elif envelope["type"] == "ticket.created":
                    found["ticket.created"][envelope["data"]["ticket"]["public_id"]] += 1
            return found

    deadline = time.monotonic() + 30
    live = in_thread(read)
    while sum(live["message.created"].values()) < messages and time.monotonic() < deadline:
        time.sleep(0.2)
        live = in_thread(read)
    time.sleep(0.5)  # anything doubled would follow at once
    return in_thread(read)


def _scoped(tenant: Any, func: Any) -> Any:
    with tenant_scope(tenant):
        return func()
