"""What customers' answers and the providers' delivery reports do to campaigns.

A customer message that is exactly one of the tenant's opt-out keywords (case, accents and
surrounding punctuation ignored) opts the contact out of campaigns. Any customer message within
REPLY_WINDOW of a campaign message to that contact counts as its reply and links the ticket the
inbound pipeline opened or continued (a normal ticket: bot and distribution as usual).
Delivery reports move a recipient forward only (sent < delivered < read).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from campaigns.models import CampaignOptOut, CampaignRecipient
from campaigns.sending import progress_publish
from core.task_lists import task_list_each
from tenants.tenant_settings import tenant_setting
from tickets.models import Message

State = CampaignRecipient.State
REPLY_WINDOW = timedelta(days=7)
_RANK = {State.SENT: 1, State.DELIVERED: 2, State.READ: 3}
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _EDGES.sub("", plain.strip()).upper()


def opt_out_keywords() -> set[str]:
    raw = str(tenant_setting("campaign_opt_out_keywords") or "")
    return {_fold(word) for word in raw.split(",") if _fold(word)}


def campaign_reply_record(*, message_id: int) -> str:
    """``opted_out``, ``replied``, or ``ignored``."""
    message = (
        Message.objects.select_related("ticket")
        .filter(pk=message_id, direction=Message.Direction.INBOUND, is_note=False)
        .first()
    )
    if message is None:
        return "ignored"
    contact_id = message.ticket.contact_id
    outcome = "ignored"
    with transaction.atomic():
        keyword = _fold(message.body or "")
        if keyword and keyword in opt_out_keywords():
            CampaignOptOut.objects.get_or_create(
                contact_id=contact_id, defaults={"keyword": keyword}
            )
            outcome = "opted_out"
        recipient = (
            CampaignRecipient.objects.select_for_update()
            .filter(
                contact_id=contact_id,
                sent_at__gte=timezone.now() - REPLY_WINDOW,
                replied_at__isnull=True,
            )
            .order_by("-sent_at")
            .first()
        )
        if recipient is not None:
            recipient.replied_at = message.created_at
            recipient.reply_ticket_id = message.ticket_id
            recipient.save(update_fields=["replied_at", "reply_ticket", "updated_at"])
            outcome = outcome if outcome == "opted_out" else "replied"
    if recipient is not None:
        progress_publish(recipient.campaign_id, force=True)
    return outcome


def campaign_replies_record(*, message_ids: Sequence[int]) -> list[str | None]:
    """``campaign_reply_record`` of each message of an inbound batch, in order (a failing one
    does not stop the others: ``core.task_lists``). One statement first reads, for all of
    them, the text and whether the contact has a campaign message in REPLY_WINDOW still
    unanswered; a message that is neither an opt-out keyword nor such a reply is ``ignored``
    with no more statements, the others go through ``campaign_reply_record`` one by one."""
    unanswered = CampaignRecipient.objects.filter(
        contact_id=OuterRef("ticket__contact_id"),
        sent_at__gte=timezone.now() - REPLY_WINDOW,
        replied_at__isnull=True,
    )
    rows = {
        pk: (body, answers)
        for pk, body, answers in Message.objects.filter(
            pk__in=list(message_ids), direction=Message.Direction.INBOUND, is_note=False
        )
        .annotate(answers=Exists(unanswered))
        .values_list("pk", "body", "answers")
    }
    keywords = opt_out_keywords() if rows else set()

    def record(message_id: int) -> str:
        body, answers = rows.get(message_id, ("", False))
        keyword = _fold(body or "")
        if not answers and not (keyword and keyword in keywords):
            return "ignored"
        return campaign_reply_record(message_id=message_id)

    return task_list_each(message_ids, record)


def campaign_status_record(*, connection_id: int, provider_message_id: str, status: str) -> int:
    """Apply a delivery report to the campaign message with that provider id; how many rows
    moved (0 or 1)."""
    rows = CampaignRecipient.objects.filter(
        campaign__connection_id=connection_id, provider_message_id=provider_message_id
    )
    if status == "failed":
        moved = rows.filter(state=State.SENT).update(state=State.FAILED, error_code="provider")
    elif status in _RANK:
        lower = [state for state, rank in _RANK.items() if rank < _RANK[State(status)]]
        moved = rows.filter(state__in=lower).update(state=status)
    else:
        return 0
    for campaign_id in rows.values_list("campaign_id", flat=True)[:1]:
        if moved:
            progress_publish(campaign_id)
    return moved
