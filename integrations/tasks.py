"""Celery entry points of integrations: one webhook delivery attempt, and the sweep of due
deliveries."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(bind=True, name="integrations.tasks.webhook_deliver_task", max_retries=None)
def webhook_deliver_task(self: Any, delivery_id: int) -> str:
    """One attempt; a short back-off is retried by the task, a long one by the sweep."""
    from django.conf import settings

    from integrations.services.webhooks import webhook_delivery_attempt

    outcome = webhook_delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None and outcome.retry_in <= settings.WEBHOOK_TASK_RETRY_MAX_SECONDS:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result


@shared_task(name="integrations.tasks.webhook_deliveries_sweep_task")
def webhook_deliveries_sweep_task() -> int:
    """Enqueue the current tenant's due deliveries."""
    from integrations.services.webhooks import webhook_deliveries_sweep

    return webhook_deliveries_sweep()
