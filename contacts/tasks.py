"""Celery entry points of the contacts domain (thin: call one service each)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="contacts.tasks.contact_import_run_task")
def contact_import_run_task(import_id: int) -> None:
    """Process a queued contact import of the current tenant."""
    # Imported here: the service module enqueues this task, so it imports this module.
    from contacts.services.imports import contact_import_run

    contact_import_run(import_id=import_id)
