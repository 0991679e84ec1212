"""A task that only reports the schema it ran in; the test worker loads it with ``-I``."""

from __future__ import annotations

from celery import shared_task
from django.db import connection

PROBE_TASK_NAME = "tests.probe.current_schema"


@shared_task(name=PROBE_TASK_NAME, ignore_result=False)
def probe_current_schema_task() -> str:
    """Return the schema of the worker's database connection while this task runs."""
    return str(connection.schema_name)
