"""Several batches of one connection at the same time (services/inbound_batches.py): each
works on its own customers, a customer's later message never overtakes an earlier one held by
another batch, and nothing is lost, doubled or left for the sweeper. Real threads with their own
committed connections, as two worker processes are; the same with real Celery workers is
tests/reliability/test_inbound_batch_workers.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection as db

from channels_integrations.models import InboundEvent
from channels_integrations.services.inbound import inbound_events_record
from channels_integrations.services.inbound_batches import (
    inbound_batch_process,
    inbound_batches_process,
)
from channels_integrations.tests.sample_provider import SampleProvider
from channels_integrations.tests.support import body_of, sample_connection, text_item
from tenants.tenancy import tenant_scope
from tests.reliability.workers import connection_data_remove, inbound_outcome
from tests.support.concurrency import database_session, in_thread, run_in_threads
from tickets.models import Message, Ticket


@pytest.fixture
def committed(alpha, sample_providers) -> Iterator[tuple[Any, int]]:
    """A sample connection committed outside the test's transaction, removed afterwards."""
    tenant = alpha.tenant
    connection_id = in_thread(lambda: sample_connection(tenant).pk)
    try:
        yield tenant, connection_id
    finally:
        in_thread(lambda: connection_data_remove(tenant, connection_id))


def _store(tenant: Any, connection_id: int, items: list[dict[str, Any]]) -> list[int]:
    def store() -> list[int]:
        with tenant_scope(tenant):
            from connections.models import ChannelConnection

            connection = ChannelConnection.objects.get(pk=connection_id)
            parsed = SampleProvider().parse_inbound(body_of(*items))
            return inbound_events_record(connection=connection, items=parsed)

    return in_thread(store)


def _scoped(tenant: Any, func: Any) -> Any:
    def run() -> Any:
        with tenant_scope(tenant):
            return func()

    return run


def _bodies(tenant: Any, connection_id: int) -> dict[str, list[str]]:
    """Each customer's message bodies, in the order their ticket stores them."""

    def read() -> dict[str, list[str]]:
        bodies: dict[str, list[str]] = {}
        rows = (
            Message.objects.filter(connection_id=connection_id, direction="in")
            .order_by("id")
            .values_list("ticket__contact__identities__external_id", "body")
        )
        for customer, body in rows:
            bodies.setdefault(customer, []).append(body)
        return bodies

    return in_thread(_scoped(tenant, read))


def _hold_ticket(tenant: Any, connection_id: int, customer: str) -> psycopg.Connection:
    """Another session holding the customer's ticket row (as an agent's change would): a batch
    that reaches the customer's message waits there, in the middle of its transaction."""
    ticket_id = in_thread(
        _scoped(
            tenant,
            lambda: (
                Ticket.objects.get(
                    connection_id=connection_id, contact__identities__external_id=customer
                ).pk
            ),
        )
    )
    holder = database_session(schema=tenant.schema_name)
    holder.execute("SELECT id FROM tickets_ticket WHERE id = %s FOR UPDATE", [ticket_id])
    return holder


def _wait_blocked_by(holder: psycopg.Connection, count: int = 1) -> None:
    """Until ``count`` other sessions wait for a lock the holder has."""
    deadline = time.monotonic() + 30
    with database_session(autocommit=True) as watcher:
        while True:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [holder.info.backend_pid],
            ).fetchone()
            if row and row[0] >= count:
                return
            assert time.monotonic() < deadline, "nothing waits for the holder"
            time.sleep(0.02)


def _in_background(func: Any) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(func())
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome.append(exc)
        finally:
            db.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_batch_held_mid_way_does_not_stop_another_batch_of_its_connection(committed):
    """Batch A holds x1 (waiting on x's ticket, uncommitted); batch B, started after it, claims
    y1, x2, y2: it stores y1 and y2 now and leaves x2 waiting, untouched, since x1 comes first.
    Once A commits, x2 is stored after x1. (Under one lock per connection, B waited for A.)"""
    tenant, connection_id = committed
    _store(tenant, connection_id, [text_item("x0", "chat-x", "x0")])
    assert in_thread(_scoped(tenant, lambda: inbound_batch_process(connection_id=connection_id)))
    _store(
        tenant,
        connection_id,
        [
            text_item("x1", "chat-x", "x1"),
            text_item("y1", "chat-y", "y1"),
            text_item("x2", "chat-x", "x2"),
            text_item("y2", "chat-y", "y2"),
        ],
    )
    holder = _hold_ticket(tenant, connection_id, "chat-x")
    batch_a = None
    try:
        batch_a, outcome_a = _in_background(
            _scoped(tenant, lambda: inbound_batch_process(connection_id=connection_id, limit=1))
        )
        _wait_blocked_by(holder)

        batch_b = _scoped(tenant, lambda: inbound_batch_process(connection_id=connection_id))
        results, errors = run_in_threads(1, lambda _i: batch_b(), start_together=False)
        assert errors == []
        # Claimed y1, x2 and y2; processed the two of y, while A still holds x1.
        assert results == [(3, 2)]
        assert _bodies(tenant, connection_id) == {"chat-x": ["x0"], "chat-y": ["y1", "y2"]}
        waiting = in_thread(
            _scoped(
                tenant,
                lambda: list(
                    InboundEvent.objects.filter(connection_id=connection_id, status="received")
                    .order_by("id")
                    .values_list("provider_event_id", "attempts")
                ),
            )
        )
        assert waiting == [("x1", 0), ("x2", 0)]
    finally:
        holder.rollback()
        holder.close()
        if batch_a is not None:
            batch_a.join(timeout=30)
    assert outcome_a == [(1, 1)]

    assert (
        in_thread(_scoped(tenant, lambda: inbound_batches_process(connection_id=connection_id)))
        == 1
    )
    assert _bodies(tenant, connection_id) == {"chat-x": ["x0", "x1", "x2"], "chat-y": ["y1", "y2"]}


def test_a_task_whose_events_are_all_behind_another_batch_waits_for_it_then_stores_them(
    committed,
):
    """The task's batch can process nothing (x2 and x3 come after x1, held by another batch):
    it commits, waits for that batch, and claims again, so x2 and x3 are stored after x1 by
    this task, not left for the sweeper."""
    tenant, connection_id = committed
    _store(tenant, connection_id, [text_item("x0", "chat-x", "x0")])
    in_thread(_scoped(tenant, lambda: inbound_batch_process(connection_id=connection_id)))
    _store(
        tenant,
        connection_id,
        [text_item(f"x{n}", "chat-x", f"x{n}") for n in (1, 2, 3)],
    )
    holder = _hold_ticket(tenant, connection_id, "chat-x")
    batch_a = task_b = None
    try:
        batch_a, outcome_a = _in_background(
            _scoped(tenant, lambda: inbound_batch_process(connection_id=connection_id, limit=1))
        )
        _wait_blocked_by(holder)
        task_b, outcome_b = _in_background(
            _scoped(tenant, lambda: inbound_batches_process(connection_id=connection_id))
        )
        time.sleep(0.5)
        assert task_b.is_alive()  # waiting for batch A, not spinning through its batches
        assert _bodies(tenant, connection_id) == {"chat-x": ["x0"]}
    finally:
        holder.rollback()
        holder.close()
        for thread in (batch_a, task_b):
            if thread is not None:
                thread.join(timeout=30)
    assert outcome_a == [(1, 1)]
    assert outcome_b == [2]
    assert _bodies(tenant, connection_id) == {"chat-x": ["x0", "x1", "x2", "x3"]}
    outcome = in_thread(lambda: inbound_outcome(tenant, connection_id))
    assert outcome["events"] == {"processed": 4}


def test_two_workers_on_interleaved_customers_keep_each_tickets_order(committed):
    """Two workers loop over one connection's batches (small ones, so they overlap a lot) while
    webhooks keep arriving from four customers in turn: every message is stored once, each
    ticket in arrival order, and both workers did part of the work."""
    tenant, connection_id = committed
    count, customers = 240, 4
    stored = threading.Event()

    def webhooks() -> int:
        for start in range(0, count, 12):
            items = [
                text_item(f"e{n}", f"chat-{n % customers}", f"{n % customers}:{n}")
                for n in range(start, start + 12)
            ]
            _store(tenant, connection_id, items)
            time.sleep(0.01)
        stored.set()
        return count

    def worker() -> int:
        done = 0
        deadline = time.monotonic() + 120
        with tenant_scope(tenant):
            while time.monotonic() < deadline:
                finished = stored.is_set()
                done += inbound_batches_process(connection_id=connection_id, batch_size=7)
                # Until no first attempt waits (a failed one would wait for its retry).
                if (
                    finished
                    and not InboundEvent.objects.filter(
                        connection_id=connection_id, status="received", attempts=0
                    ).exists()
                ):
                    break
        return done

    results, errors = run_in_threads(3, lambda i: webhooks() if i == 0 else worker())
    assert errors == []
    outcome = in_thread(lambda: inbound_outcome(tenant, connection_id))
    assert outcome["events"] == {"processed": count}
    assert outcome["distinct"] == count
    assert outcome["doubled"] == 0
    assert results[1] + results[2] == count
    assert results[1] > 0
    assert results[2] > 0
    bodies = _bodies(tenant, connection_id)
    assert sorted(bodies) == [f"chat-{c}" for c in range(customers)]
    for customer, received in bodies.items():
        c = customer.removeprefix("chat-")
        assert received == [f"{c}:{n}" for n in range(count) if str(n % customers) == c]
