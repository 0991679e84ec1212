"""A Celery task runs in the schema it was enqueued from; periodic jobs fan out per active tenant.

The schema-routing tests go through a real worker process (tests/support/celery_worker.py) and
assert the schema names the worker itself reports back through the Redis result backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from celery.result import AsyncResult
from celery.signals import after_task_publish
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.tasks import auth_expired_credentials_purge_task
from tenants.models import Tenant
from tenants.services import tenant_resume, tenant_suspend
from tenants.tasks import tenants_fan_out_task
from tenants.tenancy import public_scope, tenant_scope
from tests.support.probe_tasks import PROBE_TASK_NAME, probe_current_schema_task

RESULT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Published:
    task: str
    task_id: str
    schema: str | None


@pytest.fixture
def published() -> Iterator[list[Published]]:
    """Every task message this process publishes during the test, with its schema header."""
    records: list[Published] = []

    def record(sender=None, headers=None, **kwargs):
        headers = headers or {}
        records.append(Published(sender, headers["id"], headers.get("_schema_name")))

    after_task_publish.connect(record, weak=False)
    yield records
    after_task_publish.disconnect(record)


@pytest.fixture
def beta_suspended(beta):
    """Beta suspended inside the test transaction only: the in-process fan-out sees it, the
    worker (another connection) does not. Resumed afterwards so the session-wide Tenant object
    shared through ``tenants_provisioned`` is not left suspended in memory."""
    tenant_suspend(tenant=beta.tenant)
    yield beta
    tenant_resume(tenant=beta.tenant)


@pytest.mark.slow
def test_a_task_runs_in_the_schema_it_was_enqueued_from(celery_worker_process, alpha, beta):
    # given a real worker, when the probe is enqueued from alpha, beta and public
    with tenant_scope(alpha.tenant):
        from_alpha = probe_current_schema_task.apply_async()
    with tenant_scope(beta.tenant):
        from_beta = probe_current_schema_task.apply_async()
    with public_scope():
        from_public = probe_current_schema_task.apply_async()

    # then the worker ran each one in that schema
    assert from_alpha.get(timeout=RESULT_TIMEOUT_SECONDS) == "alpha"
    assert from_beta.get(timeout=RESULT_TIMEOUT_SECONDS) == "beta"
    assert from_public.get(timeout=RESULT_TIMEOUT_SECONDS) == "public"


@pytest.mark.slow
def test_fan_out_enqueues_the_task_once_per_active_tenant(
    celery_worker_process, alpha, beta_suspended, published
):
    # given beta is suspended (in this transaction) and every other tenant is active
    with public_scope():
        active = set(
            Tenant.objects.filter(status=Tenant.Status.ACTIVE)
            .exclude(schema_name="public")
            .values_list("schema_name", flat=True)
        )
    assert "alpha" in active
    assert "beta" not in active

    # when the periodic job runs in public, in this process
    fanned_out = tenants_fan_out_task.apply(args=(PROBE_TASK_NAME,)).get()

    # then it reports and publishes one probe per active tenant, each stamped with its schema
    probes = [message for message in published if message.task == PROBE_TASK_NAME]
    assert fanned_out == len(active) == len(probes)
    assert sorted(message.schema for message in probes) == sorted(active)
    # and the worker ran each probe in that tenant's schema, beta's in none
    ran_in = [
        AsyncResult(message.task_id).get(timeout=RESULT_TIMEOUT_SECONDS) for message in probes
    ]
    assert sorted(ran_in) == sorted(active)


def _expired_and_fresh_credentials(tag: str) -> dict[str, str]:
    """One expired and one valid session and refresh-token record in the current schema."""
    now = timezone.now()
    names = {}
    for state, moment in (("expired", now - timedelta(days=1)), ("fresh", now + timedelta(days=1))):
        session = Session.objects.create(
            session_key=f"{tag}-{state}-session", session_data="", expire_date=moment
        )
        token = OutstandingToken.objects.create(
            jti=f"{tag}-{state}-jti",
            token=f"{tag}-{state}-token",
            created_at=now - timedelta(days=8),
            expires_at=moment,
        )
        names[f"{state}_session"] = session.session_key
        names[f"{state}_token"] = token.jti
    return names


def _remaining(names: dict[str, str]) -> set[str]:
    sessions = set(
        Session.objects.filter(session_key__in=names.values()).values_list("session_key", flat=True)
    )
    tokens = set(
        OutstandingToken.objects.filter(jti__in=names.values()).values_list("jti", flat=True)
    )
    return {key for key, value in names.items() if value in sessions | tokens}


def test_credentials_purge_deletes_only_the_current_tenants_expired_rows(alpha, beta):
    # given expired and fresh sessions and refresh tokens in both tenants
    with tenant_scope(alpha.tenant):
        alpha_rows = _expired_and_fresh_credentials("alpha")
        now = timezone.now()
        expired_in_alpha = {
            "sessions": Session.objects.filter(expire_date__lt=now).count(),
            "tokens": OutstandingToken.objects.filter(expires_at__lt=now).count(),
        }
    with tenant_scope(beta.tenant):
        beta_rows = _expired_and_fresh_credentials("beta")

    # when the purge task runs in alpha (as the fan-out enqueues it)
    with tenant_scope(alpha.tenant):
        purged = auth_expired_credentials_purge_task.apply().get()
        alpha_left = _remaining(alpha_rows)

    # then only alpha's expired rows are gone; beta keeps everything
    assert purged == expired_in_alpha
    assert expired_in_alpha == {"sessions": 1, "tokens": 1}
    assert alpha_left == {"fresh_session", "fresh_token"}
    with tenant_scope(beta.tenant):
        assert _remaining(beta_rows) == set(beta_rows)
