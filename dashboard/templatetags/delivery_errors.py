"""A failed reply in the panel says what happened in the agent's language, and what to do."""

from __future__ import annotations

from django import template

from channels_integrations.delivery_errors import delivery_error_message
from tickets.models import Message

register = template.Library()


@register.filter
def delivery_error(message: Message) -> str:
    return delivery_error_message(message.error_code)


@register.filter
def retryable(message: Message) -> bool:
    """A failed reply the channel never accepted: "Try again" sends it once more."""
    return (
        message.status == Message.Status.FAILED
        and message.direction == Message.Direction.OUTBOUND
        and not message.is_note
        and message.deleted_at is None
        and message.provider_message_id is None
    )
