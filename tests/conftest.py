"""Fixtures of the cross-cutting tests (real processes)."""

from tests.support.celery_worker import celery_worker_process  # noqa: F401
