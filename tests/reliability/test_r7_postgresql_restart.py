"""R7: PostgreSQL restarted under inbound load loses and doubles nothing.

A sender posts N Telegram text updates to the connection's webhook, one after another, as
Telegram does: any answer but 200 (the 503 ``service_unavailable`` while the database is away)
is sent again after a short pause, until it is acknowledged. A real Celery worker (production
task settings) processes the ``inbound`` queue. A third of the way in, PostgreSQL goes away and
comes back while both are working:

* ``restart`` (CI, or ``R7_RESTART_POSTGRESQL=1``): the cluster itself is restarted
  (``pg_ctlcluster … restart -m fast``): every connection of every database is cut and nothing
  connects until it is back. On a machine shared with other test runs that disturbs them, so it
  is opt-in outside CI.
* otherwise, the same outage for this test database alone: new connections to it are refused
  (``ALLOW_CONNECTIONS false``) and every open one is terminated, for ``OUTAGE_SECONDS``, then it
  accepts connections again. The web process and the worker see what they see in a restart.

Events whose processing was cut stay ``received`` and the beat's sweeper hands them out again
(run here as the beat would, once the broker holds no task for them). Then every update must be
stored once, every event ``processed``, and the connection must hold exactly one message per
update.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from typing import Any

import psycopg
import redis
from django.conf import settings
from django.db import connection as db
from django.test import Client

from simulator import telegram_delivery, telegram_text_update
from tenants.channel_routes import channel_routes_set
from tenants.tenancy import tenant_scope
from tests.reliability.conftest import scaled
from tests.reliability.workers import (
    connection_data_remove,
    inbound_outcome,
    inbound_sweep_as_beat,
    worker_env,
    worker_kill,
    worker_start,
)
from tests.support.concurrency import in_thread
from tickets.tests.factories import ConnectionFactory

TOKEN = "tok-r7-postgresql-restart-01"
SECRET = "r7-secret"
OUTAGE_SECONDS = 3.0
RETRY_PAUSE = 0.2


def _real_restart_wanted() -> bool:
    return os.environ.get("R7_RESTART_POSTGRESQL") == "1" or (
        os.environ.get("CI") == "true" and shutil.which("pg_ctlcluster") is not None
    )


def _seed(tenant: Any) -> int:
    with tenant_scope(tenant):
        connection = ConnectionFactory(
            provider="telegram",
            credentials={"bot_token": "7007:R7", "webhook_secret": SECRET},
            webhook_token=TOKEN,
        )
        channel_routes_set(
            provider="telegram", connection_public_id=connection.public_id, keys=[TOKEN]
        )
    return int(connection.pk)


class Sender(threading.Thread):
    """Telegram's side: each update is posted until it gets a 200."""

    def __init__(self, count: int) -> None:
        super().__init__(daemon=True)
        self.count = count
        self.sent = 0
        self.refused = 0
        self.statuses: dict[int, int] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            client = Client(raise_request_exception=False, HTTP_HOST="localhost")
            for n in range(self.count):
                update = telegram_text_update(
                    update_id=70_000 + n, chat_id=7_700 + n % 5, text=f"r7 {n}"
                )
                delivery = telegram_delivery(webhook_token=TOKEN, secret=SECRET, update=update)
                deadline = time.monotonic() + 60
                while True:
                    response = client.post(
                        delivery.path,
                        delivery.body,
                        "application/json",
                        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
                    )
                    self.statuses[response.status_code] = (
                        self.statuses.get(response.status_code, 0) + 1
                    )
                    if response.status_code == 200:
                        break
                    assert time.monotonic() < deadline, "never acknowledged"
                    self.refused += 1
                    db.close()  # the test client keeps a broken connection otherwise
                    time.sleep(RETRY_PAUSE)
                self.sent += 1
                time.sleep(0.02)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            db.close()


def _admin_dsn() -> str:
    """The maintenance database of the test cluster (never the test database itself)."""
    params = db.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname="postgres",
        host=params.get("HOST") or "127.0.0.1",
        port=str(params.get("PORT") or 5432),
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
    )


def _outage_of_this_database(name: str, keep_pid: int) -> None:
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        quoted = psycopg.sql.Identifier(name)
        admin.execute(psycopg.sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(quoted))
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                [name, keep_pid],
            )
            time.sleep(OUTAGE_SECONDS)
        finally:
            admin.execute(
                psycopg.sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(quoted)
            )


def _restart_the_cluster() -> None:
    port = str(db.settings_dict.get("PORT") or 5432)
    clusters = subprocess.run(  # noqa: S603, S607 - Debian's cluster tool
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    version, name = next(line.split()[:2] for line in clusters if line.split()[2:3] == [port])
    subprocess.run(  # noqa: S603, S607
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart", "-m", "fast"],
        check=True,
        capture_output=True,
    )


def _retrying(func: Any) -> Any:
    """``func`` on a thread, again while the database is still coming back."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return in_thread(func)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_r7_postgresql_restarted_under_inbound_load_loses_and_doubles_nothing(
    alpha, report_figure, tmp_path
) -> None:
    tenant = alpha.tenant
    count = scaled(60)
    real_restart = _real_restart_wanted()
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("inbound", "unacked", "unacked_index")
    log = tmp_path / "worker.log"
    connection_id = in_thread(lambda: _seed(tenant))
    database = str(db.settings_dict["NAME"])
    with db.cursor() as cursor:  # the test's own connection survives a scoped outage
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = int(cursor.fetchone()[0])
    sender = Sender(count)
    worker = None
    swept = 0
    outcome: dict[str, Any] = {}
    started = time.monotonic()
    outage_at = outage_seconds = 0.0
    try:
        worker = worker_start(worker_env(), queue="inbound", name="r7", log=log)
        sender.start()
        while sender.sent < count // 3 and sender.is_alive():
            time.sleep(0.05)
        outage_at = time.monotonic()
        if real_restart:
            _restart_the_cluster()
        else:
            _outage_of_this_database(database, own_pid)
        outage_seconds = time.monotonic() - outage_at
        if real_restart:
            db.close()  # cut by the restart too; Django reconnects on the next query
        sender.join(timeout=120)
        deadline = time.monotonic() + 60
        last_processed, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text(errors="replace")[-2000:]
            outcome = _retrying(lambda: inbound_outcome(tenant, connection_id))
            if outcome["waiting"] == 0 and outcome["stored"] == count:
                break
            processed = outcome["events"].get("processed", 0)
            if processed != last_processed:
                last_processed, last_change = processed, time.monotonic()
            elif time.monotonic() - last_change > 3 and not (
                broker.llen("inbound") or broker.hlen("unacked")
            ):
                # Events wait but no task for them is queued or held: the beat's sweep.
                swept += _retrying(lambda: inbound_sweep_as_beat(tenant))
                last_change = time.monotonic()
            time.sleep(0.25)
    finally:
        if worker is not None and worker.poll() is None:
            worker_kill(worker)
        _retrying(lambda: connection_data_remove(tenant, connection_id))
        broker.delete("inbound", "unacked", "unacked_index")

    assert sender.error is None, repr(sender.error)
    how = "cluster restarted" if real_restart else "test database cut and refused"
    report_figure(
        f"R7: {count} webhooks while PostgreSQL went away ({how}, {outage_seconds:.1f} s) "
        f"after {count // 3}: {sender.refused} answers refused and re-sent "
        f"(statuses {dict(sorted(sender.statuses.items()))}), sweeper re-enqueued {swept}; "
        f"{outcome.get('distinct')} messages for {count} updates, "
        f"{count - outcome.get('distinct', 0)} lost, {outcome.get('doubled')} doubled; "
        f"events {outcome.get('events')}; {time.monotonic() - started:.1f} s"
    )
    assert sender.sent == count
    assert sender.refused >= 1  # the outage was felt by the webhook intake
    assert set(sender.statuses) <= {200, 503}  # never a 500
    assert outcome["stored"] == count
    assert outcome["waiting"] == 0
    assert outcome["distinct"] == count
    assert outcome["doubled"] == 0
    assert outcome["events"] == {"processed": count}
