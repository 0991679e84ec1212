"""Reads of messages and quick replies; visibility follows the ticket's (tickets.selectors)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from contacts.models import Tag
from tickets.message_errors import MessageNotFound, QuickReplyNotFound
from tickets.models import Message, MessageEdit, QuickReply, Ticket
from tickets.selectors import tickets_visible_to


def message_get_for_agent(*, user: User, public_id: UUID | str) -> Message:
    """One message of a ticket ``user`` may see; ``MessageNotFound`` when missing or not."""
    try:
        return (
            Message.objects.select_related("ticket", "ticket__contact", "sender_user")
            .filter(ticket__in=tickets_visible_to(user).values("pk"))
            .get(public_id=public_id)
        )
    except (Message.DoesNotExist, ValueError) as exc:
        raise MessageNotFound() from exc


def message_on_ticket(*, ticket: Ticket, public_id: UUID | str) -> Message | None:
    """A message of ``ticket`` by its public id (a quote target), or None."""
    try:
        return Message.objects.filter(ticket=ticket, public_id=public_id).first()
    except ValueError:
        return None


def messages_of_ticket(*, ticket: Ticket, before: Message | None = None) -> QuerySet[Message]:
    """The ticket's messages and notes, newest first (``-created_at, -id``, indexed), with
    everything the API shows; ``before`` keeps only older ones than that message."""
    messages = Message.objects.filter(ticket=ticket)
    if before is not None:
        messages = messages.filter(
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.pk)
        )
    return messages.select_related("ticket", "sender_user", "sender_contact", "quoted").order_by(
        "-created_at", "-id"
    )


def message_edits_of(*, message: Message) -> QuerySet[MessageEdit]:
    """A message's previous texts, oldest first."""
    return MessageEdit.objects.filter(message=message).select_related("edited_by")


def quick_replies_for(user: User, *, prefix: str = "") -> QuerySet[QuickReply]:
    """The tenant-wide quick replies and ``user``'s personal ones, by shortcode; ``prefix``
    narrows them to shortcodes starting with it (what the agent typed after "/")."""
    replies = QuickReply.objects.filter(Q(owner__isnull=True) | Q(owner=user))
    if prefix:
        replies = replies.filter(shortcode__istartswith=prefix.lstrip("/"))
    return replies.order_by("shortcode", "id")


def quick_reply_get_for(*, user: User, pk: int) -> QuickReply:
    try:
        return quick_replies_for(user).get(pk=pk)
    except QuickReply.DoesNotExist as exc:
        raise QuickReplyNotFound() from exc


def message_get_for_event(message_id: int) -> Message | None:
    """A message as events show it, with its ticket loaded as an inbox row (contact,
    connection, queue, assignee, contact tags); None if gone. Two queries."""
    found = list(
        Message.objects.select_related(
            "sender_user",
            "quoted",
            "ticket__contact",
            "ticket__connection",
            "ticket__queue",
            "ticket__assignee",
        )
        .prefetch_related(
            Prefetch("ticket__contact__tags", queryset=Tag.objects.order_by("name", "id"))
        )
        .filter(pk=message_id)
        .order_by()[:1]
    )
    return found[0] if found else None
