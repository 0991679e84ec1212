"""Reads of campaigns: lists, one campaign for an admin, counts from the recipients."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from campaigns.errors import CampaignNotFound
from campaigns.models import Campaign, CampaignMedia, CampaignOptOut, CampaignRecipient
from channels_integrations.models import MessageTemplate
from contacts.models import Contact
from core.exceptions import NotFound
from tickets.errors import MediaNotFound

State = CampaignRecipient.State
# What a campaign's page and API count, each from the recipient rows.
COUNTED_STATES = [choice.value for choice in State]


def campaign_list() -> QuerySet[Campaign]:
    return (
        Campaign.objects.select_related("connection", "template")
        .prefetch_related("media")
        .order_by("-created_at")
    )


def campaign_get(*, public_id: UUID | str) -> Campaign:
    """The campaign, or ``CampaignNotFound`` (a malformed id too)."""
    try:
        return Campaign.objects.select_related("connection").get(public_id=public_id)
    except (Campaign.DoesNotExist, ValueError) as exc:
        raise CampaignNotFound() from exc


def campaign_media_get(*, public_id: UUID | str) -> CampaignMedia:
    """A campaign file of this tenant by public id, else 404 ``media_not_found`` (a malformed
    id too): another tenant's id names nothing in this schema."""
    try:
        media = CampaignMedia.objects.filter(public_id=public_id).first()
    except (ValueError, ValidationError):
        media = None
    if media is None:
        raise MediaNotFound()
    return media


def campaign_media_list(*, campaign: Campaign) -> list[CampaignMedia]:
    """The campaign's files in variant order."""
    return list(CampaignMedia.objects.filter(campaign=campaign).order_by("variant"))


def campaign_template_get(*, public_id: UUID | str) -> MessageTemplate:
    """A message template by public id (any status: the service decides), else 404."""
    template = MessageTemplate.objects.filter(public_id=public_id).first()
    if template is None:
        raise NotFound(_("Template not found."), code="template_not_found")
    return template


def approved_templates() -> QuerySet[MessageTemplate]:
    return (
        MessageTemplate.objects.filter(status=MessageTemplate.Status.APPROVED)
        .select_related("connection")
        .order_by("connection__name", "name", "language")
    )


def campaign_counts(*, campaign: Campaign) -> dict[str, int]:
    """Recipients per state, plus ``total``, ``replied``, ``opted_out`` (skipped for an
    opt-out), ``done`` (no longer queued or sending) and ``percent`` of ``done``; one query."""
    aggregates: dict[str, Any] = {
        state: Count("pk", filter=Q(state=state)) for state in COUNTED_STATES
    }
    aggregates["total"] = Count("pk")
    aggregates["replied"] = Count("pk", filter=Q(replied_at__isnull=False))
    aggregates["opted_out"] = Count("pk", filter=Q(state=State.SKIPPED, error_code="opted_out"))
    counts: dict[str, int] = CampaignRecipient.objects.filter(campaign=campaign).aggregate(
        **aggregates
    )
    done = counts["total"] - counts[State.QUEUED] - counts[State.SENDING]
    counts["done"] = done
    counts["percent"] = int(done * 100 / counts["total"]) if counts["total"] else 0
    return counts


def campaign_recipients(
    *, campaign: Campaign, state: str = "", replied: bool | None = None, search: str = ""
) -> QuerySet[CampaignRecipient]:
    rows = CampaignRecipient.objects.filter(campaign=campaign).select_related(
        "contact", "reply_ticket"
    )
    if state:
        rows = rows.filter(state=state)
    if replied is not None:
        rows = rows.filter(replied_at__isnull=not replied)
    if search:
        rows = rows.filter(Q(contact__name__icontains=search) | Q(contact__phone__contains=search))
    return rows.order_by("id")


def sends_per_minute(*, campaign: Campaign) -> list[tuple[str, int]]:
    """Messages accepted by the provider per minute (ISO time in the current time zone,
    count), for the chart."""
    from django.db.models.functions import TruncMinute
    from django.utils import timezone

    rows = (
        CampaignRecipient.objects.filter(campaign=campaign, sent_at__isnull=False)
        .annotate(minute=TruncMinute("sent_at", tzinfo=timezone.get_current_timezone()))
        .values("minute")
        .annotate(count=Count("pk"))
        .order_by("minute")
    )
    return [(row["minute"].isoformat(), row["count"]) for row in rows]


def audience_contacts(
    *,
    tag_ids: list[int] | None = None,
    attributes: dict[str, Any] | None = None,
    contact_ids: list[UUID] | None = None,
) -> QuerySet[Contact]:
    """Contacts matching every given part: any of ``tag_ids``, each custom attribute equal to
    its value, one of ``contact_ids`` (public ids). Groups never take part."""
    contacts = Contact.objects.filter(is_group=False)
    if tag_ids:
        contacts = contacts.filter(tags__id__in=tag_ids)
    for key, value in (attributes or {}).items():
        contacts = contacts.filter(**{f"custom_attributes__{key}": value})
    if contact_ids is not None:
        contacts = contacts.filter(public_id__in=contact_ids)
    return contacts.distinct()


def contact_opted_out(*, contact_id: int) -> bool:
    return CampaignOptOut.objects.filter(contact_id=contact_id).exists()
