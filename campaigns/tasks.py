"""Celery entry points of campaigns (thin). The sender runs on the ``bulk`` queue, served by
its own worker, so campaigns never hold the workers of inbound messages or replies."""

from __future__ import annotations

from celery import shared_task

# A campaign waiting longer (overnight, a start tomorrow) is looked at again after this: long
# countdowns are not kept by every broker, and the sweep would start it anyway.
MAX_COUNTDOWN_SECONDS = 60.0


@shared_task(name="campaigns.tasks.campaign_send_task")
def campaign_send_task(campaign_id: int) -> int:
    """Send what is due of one campaign for a while, then enqueue the next run."""
    from campaigns.sending import campaign_send_run

    outcome = campaign_send_run(campaign_id=campaign_id)
    if outcome.again_in is not None:
        campaign_send_task.apply_async(
            args=(campaign_id,),
            queue="bulk",
            countdown=min(outcome.again_in, MAX_COUNTDOWN_SECONDS),
        )
    return outcome.sent


@shared_task(name="campaigns.tasks.campaigns_sweep_task")
def campaigns_sweep_task() -> int:
    """Start a sender for the current tenant's running campaigns that none holds (a task lost
    with a killed worker)."""
    from campaigns.sending import campaigns_stalled

    stalled = campaigns_stalled()
    for campaign_id in stalled:
        campaign_send_task.apply_async(args=(campaign_id,), queue="bulk")
    return len(stalled)


@shared_task(name="campaigns.tasks.campaign_reply_record_task")
def campaign_reply_record_task(message_id: int) -> str:
    """A customer wrote: an opt-out keyword, or a reply to a campaign."""
    from campaigns.replies import campaign_reply_record

    return campaign_reply_record(message_id=message_id)


@shared_task(name="campaigns.tasks.campaign_replies_record_task")
def campaign_replies_record_task(message_ids: list[int]) -> list[str | None]:
    """``campaign_reply_record_task`` for each message of an inbound batch, in order."""
    from campaigns.replies import campaign_replies_record

    return campaign_replies_record(message_ids=message_ids)


@shared_task(name="campaigns.tasks.campaign_status_record_task")
def campaign_status_record_task(connection_id: int, provider_message_id: str, status: str) -> int:
    """A provider's delivery status for a campaign message."""
    from campaigns.replies import campaign_status_record

    return campaign_status_record(
        connection_id=connection_id, provider_message_id=provider_message_id, status=status
    )
