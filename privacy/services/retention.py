"""The retention policy: closed tickets older than N months lose their conversation.

``retention_preview`` (the dry run) and ``retention_apply`` select with the same querysets, so
the dry run's figures are what the real run does at that moment.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from audit.services import SYSTEM, audit_record, changes_diff
from contacts.models import Contact
from privacy.models import RetentionPolicy
from privacy.services.erasure import contact_erase, conversations_erase, erased_contact_name
from tickets.models import Message, Ticket


@dataclass(frozen=True)
class RetentionOutcome:
    """How many tickets lose (or would lose) their conversation, and contacts are erased."""

    tickets: int
    contacts: int
    cutoff: datetime


def retention_policy_get() -> RetentionPolicy:
    """The tenant's policy (a disabled one with the defaults when none was saved)."""
    policy = RetentionPolicy.objects.order_by("id").first()
    return policy if policy is not None else RetentionPolicy()


def retention_policy_update(*, is_enabled: bool, months: int, action: str) -> RetentionPolicy:
    policy = retention_policy_get()
    before = {"is_enabled": policy.is_enabled, "months": policy.months, "action": policy.action}
    policy.is_enabled, policy.months, policy.action = is_enabled, months, action
    policy.full_clean()
    policy.save()
    after = {"is_enabled": is_enabled, "months": months, "action": action}
    audit_record("privacy.retention_updated", obj=policy, changes=changes_diff(before, after))
    return policy


def _cutoff(months: int, now: datetime | None = None) -> datetime:
    """``months`` calendar months before ``now`` (the 31st becomes the month's last day)."""
    now = now or timezone.now()
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def _tickets_due(cutoff: datetime) -> QuerySet[Ticket]:
    """Closed before ``cutoff`` and still holding some content."""
    content = Message.objects.filter(ticket=OuterRef("pk")).filter(
        ~Q(body="") | ~Q(media="") | ~Q(payload={})
    )
    return Ticket.objects.filter(status=Ticket.Status.CLOSED, closed_at__lt=cutoff).filter(
        Exists(content) | ~Q(last_message_preview="")
    )


def _contacts_due(cutoff: datetime, tickets: QuerySet[Ticket]) -> QuerySet[Contact]:
    """Contacts with a due ticket and no ticket that is open or closed after ``cutoff``."""
    recent = Ticket.objects.filter(contact=OuterRef("pk")).filter(
        ~Q(status=Ticket.Status.CLOSED) | Q(closed_at__gte=cutoff)
    )
    return Contact.objects.filter(pk__in=tickets.values("contact_id")).exclude(Exists(recent))


def retention_preview(*, months: int, action: str, now: datetime | None = None) -> RetentionOutcome:
    """The dry run: what ``retention_apply`` would do with these settings now."""
    cutoff = _cutoff(months, now)
    tickets = _tickets_due(cutoff)
    contacts = (
        _contacts_due(cutoff, tickets).count() if action == RetentionPolicy.Action.ERASE else 0
    )
    return RetentionOutcome(tickets=tickets.count(), contacts=contacts, cutoff=cutoff)


def retention_apply(*, policy: RetentionPolicy, now: datetime | None = None) -> RetentionOutcome:
    """Apply the policy (enabled or not: the beat checks ``is_enabled``)."""
    cutoff = _cutoff(policy.months, now)
    tickets = _tickets_due(cutoff)
    contact_ids: list[int] = []
    if policy.action == RetentionPolicy.Action.ERASE:
        contact_ids = list(_contacts_due(cutoff, tickets).values_list("pk", flat=True))
    reached = conversations_erase(tickets=tickets)
    for contact in Contact.objects.filter(pk__in=contact_ids):
        if contact.name != erased_contact_name(contact.pk) or contact.phone:
            contact_erase(contact=contact)
    if policy.pk is not None:
        RetentionPolicy.objects.filter(pk=policy.pk).update(
            last_run_at=timezone.now(),
            last_run_tickets=reached,
            last_run_contacts=len(contact_ids),
        )
    audit_record(
        "privacy.retention_applied",
        actor=SYSTEM,
        extra={"tickets": reached, "contacts": len(contact_ids), "cutoff": cutoff.isoformat()},
    )
    return RetentionOutcome(tickets=reached, contacts=len(contact_ids), cutoff=cutoff)
