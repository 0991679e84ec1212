"""Test-only helpers: a probe task and a real Celery worker process."""
