"""Celery entry points of the tickets domain (thin: call one service each)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="tickets.tasks.tickets_auto_close_task")
def tickets_auto_close_task() -> int:
    """Close the current tenant's tickets idle for longer than its ``days_to_close``."""
    from tickets.services.tickets import tickets_auto_close_due

    return tickets_auto_close_due()


@shared_task(name="tickets.tasks.messages_scheduled_dispatch_task")
def messages_scheduled_dispatch_task() -> int:
    """Hand the current tenant's due scheduled messages to the outbound pipeline, once each."""
    from tickets.services.messages import messages_scheduled_dispatch_due

    return messages_scheduled_dispatch_due()
