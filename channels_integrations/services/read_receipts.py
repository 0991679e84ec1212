"""Read receipts: the customer is told that the agent read their messages.

``tickets.services.ticket_open_by`` publishes ``MessagesRead`` once per batch of customer
messages the assigned agent read (when the tenant's ``send_read_receipts`` is on); the
subscriber enqueues ``read_receipt_send_task`` on the ``replies`` queue, which calls
``read_receipt_send``: it waits for a slot of the connection's outbound rate limit (a receipt
is a call on the same Send API as the replies) and asks the provider. Temporary errors are
retried with the outbound pipeline's back-off, up to ``OUTBOUND_MAX_ATTEMPTS``; a permanent
refusal is logged and dropped (a receipt is a courtesy: nothing waits for it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

from channels_integrations.providers.base import ProviderError
from channels_integrations.providers.registry import PROVIDERS, provider_for
from channels_integrations.services.outbound import (
    delivery_backoff,
    delivery_slot_wait,
    message_recipient,
)
from tickets.models import Message

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceiptOutcome:
    """``sent``, ``unsupported`` (the provider has none), ``skipped`` (nothing to tell),
    ``dropped`` (refused or out of attempts) or ``retry`` after ``retry_in`` seconds."""

    result: str
    retry_in: float | None = None


def read_receipt_send(*, message_id: int, attempt: int = 1) -> ReceiptOutcome:
    """Send the receipt of the customer's message ``message_id`` (one attempt)."""
    message = (
        Message.objects.select_related("connection", "ticket__contact")
        .filter(pk=message_id, direction=Message.Direction.INBOUND)
        .first()
    )
    if message is None or not message.provider_message_id:
        return ReceiptOutcome("skipped")
    connection = message.connection
    if not connection.is_active or connection.provider not in PROVIDERS:
        return ReceiptOutcome("skipped")
    provider = provider_for(connection.provider)
    wait = delivery_slot_wait(connection, provider.rate_limit_per_second)
    if wait:
        return ReceiptOutcome("retry", retry_in=wait)
    try:
        sent = provider.send_read_receipt(
            connection,
            recipient=message_recipient(message, connection),
            provider_message_id=message.provider_message_id,
        )
    except ProviderError as exc:
        if exc.permanent or attempt >= settings.OUTBOUND_MAX_ATTEMPTS:
            logger.info("Read receipt of message %s dropped: %s", message.pk, exc.detail)
            return ReceiptOutcome("dropped")
        return ReceiptOutcome("retry", retry_in=exc.retry_after or delivery_backoff(attempt))
    return ReceiptOutcome("sent" if sent else "unsupported")
