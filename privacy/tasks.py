"""Celery entry points of data subjects' requests and the retention policy."""

from __future__ import annotations

from celery import shared_task

from privacy.services import (
    privacy_exports_expire,
    privacy_request_fulfil,
    privacy_requests_sweep,
    retention_apply,
    retention_policy_get,
)


@shared_task(name="privacy.tasks.privacy_request_fulfil_task")
def privacy_request_fulfil_task(request_id: int) -> str:
    request = privacy_request_fulfil(request_id=request_id)
    return "done" if request is not None else "nothing to do"


@shared_task(name="privacy.tasks.privacy_requests_sweep_task")
def privacy_requests_sweep_task() -> int:
    return privacy_requests_sweep()


@shared_task(name="privacy.tasks.privacy_exports_expire_task")
def privacy_exports_expire_task() -> int:
    return privacy_exports_expire()


@shared_task(name="privacy.tasks.retention_apply_task")
def retention_apply_task() -> int:
    """The tenant's retention policy, when enabled; returns how many tickets it reached."""
    policy = retention_policy_get()
    if not policy.is_enabled or policy.pk is None:
        return 0
    return retention_apply(policy=policy).tickets
