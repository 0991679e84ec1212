"""Celery entry points of the channels pipelines (thin: each calls one service).

Inbound processing runs on the ``inbound`` queue and deliveries on ``replies``, so replies are
never stuck behind bulk work. The task is published from inside the tenant and runs in its
schema (tenant-schemas-celery).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(
    bind=True,
    name="channels_integrations.tasks.inbound_event_process_task",
    max_retries=None,  # the service bounds the attempts and marks the event failed
)
def inbound_event_process_task(self: Any, event_id: int) -> None:
    """Process one stored webhook item (idempotent; retried later when the service asks)."""
    from channels_integrations.services.inbound import InboundRetryLater, inbound_event_process

    try:
        inbound_event_process(event_id=event_id)
    except InboundRetryLater as exc:
        raise self.retry(countdown=exc.countdown) from exc


@shared_task(
    bind=True,
    name="channels_integrations.tasks.inbound_batches_process_task",
    max_retries=None,
)
def inbound_batches_process_task(self: Any, connection_id: int) -> int:
    """Process a connection's waiting events in batches (a poison event fails alone). Several
    tasks of one connection run at once on the worker's processes, each conversation in one
    batch at a time and in order. The database going away mid-batch rolls the batch back; the
    task then tries again."""
    from django.db import DatabaseError

    from channels_integrations.services.inbound_batches import inbound_batches_process

    try:
        return inbound_batches_process(connection_id=connection_id)
    except DatabaseError as exc:
        raise self.retry(countdown=min(2**self.request.retries, 30)) from exc


@shared_task(name="channels_integrations.tasks.inbound_events_sweep_task")
def inbound_events_sweep_task() -> int:
    """Re-enqueue the current tenant's inbound events whose processing task was lost."""
    from channels_integrations.services.inbound import inbound_events_sweep

    return inbound_events_sweep()


@shared_task(
    bind=True,
    name="channels_integrations.tasks.outbound_message_deliver_task",
    max_retries=None,  # the service bounds provider attempts (OUTBOUND_MAX_ATTEMPTS)
)
def outbound_message_deliver_task(self: Any, delivery_id: int) -> str:
    """Send one outbound delivery; retried after the delay the service asks for."""
    from channels_integrations.services.outbound import outbound_message_deliver

    outcome = outbound_message_deliver(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result


@shared_task(
    bind=True,
    name="channels_integrations.tasks.outbound_change_deliver_task",
    max_retries=None,  # the service bounds provider attempts (OUTBOUND_MAX_ATTEMPTS)
)
def outbound_change_deliver_task(self: Any, change_id: int) -> str:
    """Take one edit or deletion of a sent message to the channel; retried after the delay
    the service asks for."""
    from channels_integrations.services.outbound_changes import outbound_change_deliver

    outcome = outbound_change_deliver(change_id=change_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result


@shared_task(name="channels_integrations.tasks.outbound_deliveries_sweep_task")
def outbound_deliveries_sweep_task() -> int:
    """Re-enqueue the current tenant's deliveries, and changes of sent messages, whose task
    was lost."""
    from channels_integrations.services.outbound import outbound_deliveries_sweep
    from channels_integrations.services.outbound_changes import outbound_changes_sweep

    return outbound_deliveries_sweep() + outbound_changes_sweep()


@shared_task(
    bind=True,
    name="channels_integrations.tasks.read_receipt_send_task",
    max_retries=None,  # the service bounds the attempts (OUTBOUND_MAX_ATTEMPTS)
)
def read_receipt_send_task(self: Any, message_id: int) -> str:
    """Tell the customer their message was read; retried after the delay the service asks."""
    from channels_integrations.services.read_receipts import read_receipt_send

    outcome = read_receipt_send(message_id=message_id, attempt=self.request.retries + 1)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result


@shared_task(name="channels_integrations.tasks.contact_avatar_refresh_task")
def contact_avatar_refresh_task(
    contact_id: int, connection_id: int, external_id: str, picture_url: str = ""
) -> str:
    """Fetch a contact's picture from its provider into private storage (at most daily)."""
    from channels_integrations.services.contact_avatars import contact_avatar_refresh

    return contact_avatar_refresh(
        contact_id=contact_id,
        connection_id=connection_id,
        external_id=external_id,
        picture_url=picture_url,
    )


@shared_task(name="channels_integrations.tasks.connections_calls_apply_task")
def connections_calls_apply_task() -> int:
    """Tell the gateways of the tenant's QR-code connections its call settings."""
    from channels_integrations.services.sessions import connections_calls_apply

    return connections_calls_apply()


@shared_task(name="channels_integrations.tasks.email_mailbox_watch_task")
def email_mailbox_watch_task(connection_id: int) -> int:
    """Read one e-mail connection's mailbox for a bounded time (IDLE or polling); returns how
    many mails were read."""
    from channels_integrations.services.email_inbound import mailbox_watch

    return mailbox_watch(connection_id=connection_id).mails


@shared_task(name="channels_integrations.tasks.email_mailboxes_watch_task")
def email_mailboxes_watch_task() -> int:
    """Start the bounded mailbox job of each of the current tenant's e-mail connections."""
    from channels_integrations.services.email_inbound import mailboxes_watch_enqueue

    return mailboxes_watch_enqueue()


@shared_task(name="channels_integrations.tasks.templates_sync_all_task")
def templates_sync_all_task() -> int:
    """Re-sync the message templates of the tenant's WhatsApp Cloud connections (a review whose
    webhook was lost still shows up)."""
    from channels_integrations.services.templates import templates_sync_all

    return templates_sync_all()
