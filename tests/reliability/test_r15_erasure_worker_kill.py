"""R15: an erasure whose worker is SIGKILLed in the middle completes when the job runs again,
and then no canary of the contact is left anywhere: in any text, character or JSON column of
any table of the tenant schema, in any Redis key, in the tenant's storage folder.

The contact (committed from a thread) has personal data in every place the product keeps it,
each value a unique canary (``privacy.tests.factories.seed_contact``); the other tenant has a
contact with the same name. The tenant's Redis holds many unrelated cache keys, so that each of
the erasure's passes over them takes a while. A real worker (production task settings: acks
late, reject on worker lost) runs the erasure on the ``bulk`` queue; its pool child is killed
while the request is ``running``, again in a later step. The broker hands the task out again
(or, when it holds none, the sweeper re-enqueues the request as the beat would).
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import redis
from django.conf import settings
from django.utils import timezone

from contacts.models import Contact
from privacy.models import PrivacyRequest
from privacy.services import privacy_erasure_request, privacy_requests_sweep
from privacy.services.erasure import erased_contact_name
from privacy.tests.factories import seed_contact, seeded_remove
from privacy.tests.scan import database_hits, redis_hits, storage_hits
from tenants.tenancy import redis_key, tenant_scope
from tests.reliability.conftest import scaled
from tests.reliability.workers import pool_children, worker_env, worker_kill, worker_start
from tests.support.concurrency import in_thread

FILLER_KEYS = 20_000


def _state(tenant, request_id):
    with tenant_scope(tenant):
        return PrivacyRequest.objects.values("status", "step", "progress", "attempts").get(
            pk=request_id
        )


def _sweep_as_beat(tenant, request_id):
    with tenant_scope(tenant):
        PrivacyRequest.objects.filter(pk=request_id).update(
            updated_at=timezone.now() - timedelta(hours=1)
        )
        return privacy_requests_sweep()


def test_r15_erasure_killed_mid_way_completes_and_leaves_no_canary(
    alpha, beta, report_figure, tmp_path
) -> None:
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("bulk", "unacked", "unacked_index")

    def seed(tenant, tag, name):
        with tenant_scope(tenant):
            return seed_contact(tag, name=name)

    seeded = in_thread(lambda: seed(alpha.tenant, "zzr15A", "Joana Canária R15"))
    other = in_thread(lambda: seed(beta.tenant, "zzr15B", "Joana Canária R15"))
    canaries = [*seeded.canaries, "Joana Canária R15"]
    with tenant_scope(alpha.tenant):
        pipe = broker.pipeline(transaction=False)
        for n in range(scaled(FILLER_KEYS)):
            pipe.set(redis_key("filler", n), f"unrelated cache entry {n}")
        pipe.set(redis_key("contact-card", seeded.contact.pk), seeded.contact.name)
        pipe.execute()
    request = in_thread(lambda: _request(alpha.tenant, seeded.contact.pk))
    log = tmp_path / "worker.log"
    worker = None
    kills: list[str] = []
    swept = 0
    started = time.monotonic()
    state: dict = {}
    try:
        worker = worker_start(worker_env(), queue="bulk", name="r15", log=log)
        running_since = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text(errors="replace")[-2000:]
            state = in_thread(lambda: _state(alpha.tenant, request.pk))
            if state["status"] == PrivacyRequest.Status.DONE:
                break
            now = time.monotonic()
            if state["status"] == PrivacyRequest.Status.RUNNING:
                running_since = running_since or now
                # First before any row is erased (the first pass over Redis), then after the
                # rows' transaction committed (the second pass): both runs must still finish.
                before_rows = not kills and state["progress"] <= 5
                after_rows = len(kills) == 1 and state["progress"] >= 95
                if (before_rows and now - running_since > 0.3) or after_rows:
                    for pid in pool_children(worker):
                        os.kill(pid, signal.SIGKILL)
                    kills.append(f"{state['attempts']}:{state['step']}@{state['progress']}%")
                    running_since = None
                elif now - running_since > 20 and not broker.llen("bulk"):
                    # Nothing queued for a request still running: the beat's sweep.
                    swept += in_thread(lambda: _sweep_as_beat(alpha.tenant, request.pk))
                    running_since = None
            time.sleep(0.05)
        lost_tasks = log.read_text(errors="replace").count(
            "Task handler raised error: WorkerLostError"
        )
        db_hits = database_hits("alpha", canaries)
        key_hits = redis_hits(canaries)
        file_hits = storage_hits("alpha", canaries)
        with tenant_scope(alpha.tenant):
            erased = Contact.objects.get(pk=seeded.contact.pk)
            erased_name = erased_contact_name(erased.pk)
        with tenant_scope(beta.tenant):
            kept = Contact.objects.get(pk=other.contact.pk)
            other_hits = len(database_hits("beta", other.canaries))
    finally:
        if worker is not None and worker.poll() is None:
            worker_kill(worker)
        broker.delete("bulk", "unacked", "unacked_index")
        in_thread(lambda: _remove(alpha.tenant, seeded))
        in_thread(lambda: _remove(beta.tenant, other))

    report_figure(
        f"R15: erasure's worker SIGKILLed {len(kills)} times "
        f"(attempt:step@progress {', '.join(kills)}; "
        f"{lost_tasks} lost tasks), sweeper re-enqueued {swept}: request {state.get('status')} "
        f"after {state.get('attempts')} runs; canaries left: {len(db_hits)} columns, "
        f"{len(key_hits)} Redis keys, {len(file_hits)} files ({len(canaries)} canaries, every "
        f"text/JSON column of the schema); other tenant's contact kept; "
        f"{time.monotonic() - started:.1f} s"
    )
    assert len(kills) == 2
    assert lost_tasks >= 1
    assert state["status"] == PrivacyRequest.Status.DONE
    assert state["attempts"] >= 3
    assert db_hits == []
    assert key_hits == []
    assert file_hits == []
    assert erased.name == erased_name
    assert kept.name == "Joana Canária R15"
    assert other_hits > 5


def _request(tenant, contact_id):
    with tenant_scope(tenant):
        return privacy_erasure_request(
            contact=Contact.objects.get(pk=contact_id), requested_by=None
        )


def _remove(tenant, seeded):
    with tenant_scope(tenant):
        seeded_remove(seeded)
