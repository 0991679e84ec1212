"""Fixtures of the core tests."""

from tests.support.celery_worker import celery_worker_process  # noqa: F401
