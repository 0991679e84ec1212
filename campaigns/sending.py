"""The bulk sender: one task at a time per campaign sends its due recipients, paced.

Each message goes in two transactions. The claim takes the next due queued recipient with
``FOR UPDATE SKIP LOCKED`` and commits it as ``sending``. The send locks the campaign row
(``FOR NO KEY UPDATE``), checks that the campaign still runs and the row is still claimed, calls
the provider and records the outcome in the same transaction. Pause and cancel lock the campaign
row too, so they wait for a send in progress and no message leaves after either commits.

A worker killed mid-send leaves its recipient ``sending``: after CAMPAIGN_CLAIM_SECONDS it is
marked failed (``send_interrupted``) instead of sent again, because the provider may have
delivered it. Sends take a slot of the connection's rate limit only after live replies had
their share (``channels_integrations.rate_limits.bulk_slot_wait``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from campaigns.domain_events import CampaignProgressed
from campaigns.models import Campaign, CampaignMedia, CampaignRecipient
from channels_integrations.providers.base import OutboundMessage, ProviderError
from channels_integrations.providers.registry import provider_for
from channels_integrations.rate_limits import bulk_slot_wait
from channels_integrations.services.outbound import delivery_backoff
from channels_integrations.services.templates import (
    template_parameter_defaults,
    template_payload,
    template_render_text,
)
from contacts.models import Contact, ContactIdentity
from core.event_bus import publish
from core.exceptions import ApplicationError
from core.redis import redis_client
from tenants.tenancy import redis_key
from tickets.message_variables import variables_render

logger = logging.getLogger(__name__)

Status = Campaign.Status
State = CampaignRecipient.State
# The sender looks at the campaign's status at least this often while it waits for a due time.
POLL_SECONDS = 0.25
# Live progress goes out at most once a second per campaign (and at every status change).
PROGRESS_EVERY_SECONDS = 1


@dataclass(frozen=True)
class RunOutcome:
    """``again_in``: seconds until the next sender task should run (None: nothing to do)."""

    sent: int
    again_in: float | None


def contact_values(contact: Contact) -> dict[str, str]:
    """The variables of a campaign text for one contact."""
    name = contact.name or ""
    values = {"contact.name": name, "contact.first_name": name.split()[0] if name else ""}
    for key, value in (contact.custom_attributes or {}).items():
        values[f"contact.attributes.{key}"] = "" if value is None else str(value)
    return values


def recipient_body(campaign: Campaign, recipient: CampaignRecipient) -> str:
    variants = campaign.variants or [""]
    text = variants[recipient.variant % len(variants)]
    return variables_render(text, contact_values(recipient.contact))


def recipient_media(campaign: Campaign, recipient: CampaignRecipient) -> CampaignMedia | None:
    """The file of the recipient's variant (a template campaign's header file is variant 0)."""
    variant = 0 if campaign.template_id else recipient.variant % max(len(campaign.variants), 1)
    return CampaignMedia.objects.filter(campaign=campaign, variant=variant).first()


def _with_file(message: OutboundMessage, media: CampaignMedia | None) -> OutboundMessage:
    """The message carrying the file (its text the caption), as an agent's file send does."""
    if media is None:
        return message
    return replace(
        message,
        kind=media.kind,
        media_name=media.file.name or "",
        media_mime_type=media.mime,
        media_filename=media.name,
    )


def recipient_message(campaign: Campaign, recipient: CampaignRecipient) -> OutboundMessage:
    """What the provider gets for one recipient: a variant (with its file, the text as the
    caption), or the campaign's template with its parameters filled for the contact (named ones
    it left empty from the contact's fields) and its header file.
    ``TemplateParametersInvalid`` when a value is still empty for this contact."""
    contact = recipient.contact
    address = recipient_address(campaign, contact)
    template = campaign.template
    media = recipient_media(campaign, recipient)
    if template is None:
        body = recipient_body(campaign, recipient)
        return _with_file(
            OutboundMessage(
                idempotency_key=recipient.idempotency_key, recipient=address, kind="text", body=body
            ),
            media,
        )
    values = contact_values(contact)
    parameters = template_parameter_defaults(template, contact)
    for key, text in (campaign.template_parameters or {}).items():
        rendered = variables_render(str(text), values).strip()
        if rendered:
            parameters[key] = rendered
    return _with_file(
        OutboundMessage(
            idempotency_key=recipient.idempotency_key,
            recipient=address,
            kind="text",
            body=template_render_text(template, parameters),
            template=template_payload(template, parameters, header_from_file=media is not None),
        ),
        media,
    )


def recipient_address(campaign: Campaign, contact: Contact) -> str:
    """The contact's id on the campaign's provider, else its phone without the plus."""
    identity = (
        ContactIdentity.objects.filter(contact=contact, provider=campaign.connection.provider)
        .order_by("-updated_at")
        .values_list("external_id", flat=True)
        .first()
    )
    return identity or contact.phone.lstrip("+")


def progress_publish(campaign_id: int, *, force: bool = False) -> None:
    """Tell the tenant's admins (``CampaignProgressed``), at most once a second unless forced."""
    key = redis_key("campaign-progress", campaign_id)
    if force or redis_client().set(key, "1", nx=True, ex=PROGRESS_EVERY_SECONDS):
        publish(CampaignProgressed(campaign_id=campaign_id))


def _runner_take(campaign_id: int) -> bool:
    now = timezone.now()
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=Status.RUNNING)
        .filter(Q(runner_until__isnull=True) | Q(runner_until__lt=now))
        .update(runner_until=now + timedelta(seconds=settings.CAMPAIGN_RUNNER_LEASE_SECONDS))
    )


def _runner_renew(campaign_id: int) -> str | None:
    """Extend the lease; the campaign's status (None when it is gone)."""
    now = timezone.now()
    Campaign.objects.filter(pk=campaign_id).update(
        runner_until=now + timedelta(seconds=settings.CAMPAIGN_RUNNER_LEASE_SECONDS)
    )
    status: str | None = (
        Campaign.objects.filter(pk=campaign_id).values_list("status", flat=True).first()
    )
    return status


def _runner_release(campaign_id: int) -> None:
    Campaign.objects.filter(pk=campaign_id).update(runner_until=None)


def _interrupted_fail(campaign_id: int) -> int:
    """Recipients a dead sender left claimed: failed, never sent again."""
    cutoff = timezone.now() - timedelta(seconds=settings.CAMPAIGN_CLAIM_SECONDS)
    return CampaignRecipient.objects.filter(
        campaign_id=campaign_id, state=State.SENDING, claimed_at__lt=cutoff
    ).update(
        state=State.FAILED,
        error_code="send_interrupted",
        error_detail="The sender stopped during the call; not sent again to avoid a duplicate.",
    )


def _claim(campaign_id: int) -> int | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            CampaignRecipient.objects.select_for_update(skip_locked=True)
            .filter(campaign_id=campaign_id, state=State.QUEUED, due_at__lte=now)
            .order_by("due_at", "id")
            .only("pk", "attempts")
            .first()
        )
        if row is None:
            return None
        CampaignRecipient.objects.filter(pk=row.pk).update(
            state=State.SENDING, claimed_at=now, attempts=row.attempts + 1
        )
        return row.pk


def _slot_wait(campaign: Campaign) -> None:
    provider = provider_for(campaign.connection.provider)
    key = str(campaign.connection.public_id)
    while wait := bulk_slot_wait(connection_key=key, per_second=provider.rate_limit_per_second):
        time.sleep(min(wait, POLL_SECONDS))


def _send(campaign_id: int, recipient_id: int) -> str:
    """Send one claimed recipient (see the module docstring); returns its new state."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(no_key=True, of=("self",))
            .select_related("connection", "template")
            .get(pk=campaign_id)
        )
        row = (
            CampaignRecipient.objects.select_for_update(of=("self",))
            .select_related("contact")
            .filter(pk=recipient_id)
            .first()
        )
        if row is None or row.state != State.SENDING:
            return row.state if row else ""  # paused or cancelled meanwhile
        if campaign.status != Status.RUNNING or not campaign.connection.is_active:
            row.state = State.QUEUED if campaign.status == Status.PAUSED else State.CANCELLED
            row.claimed_at = None
            row.save(update_fields=["state", "claimed_at", "updated_at"])
            return row.state
        try:
            message = recipient_message(campaign, row)
        except ApplicationError as exc:  # a template the contact cannot fill, or unapproved
            _after_error(row, ProviderError(exc.message, permanent=True, code=exc.code))
            row.save(
                update_fields=["state", "claimed_at", "error_code", "error_detail", "updated_at"]
            )
            return row.state
        row.body = message.body
        fields = ["state", "body", "claimed_at", "error_code", "error_detail", "updated_at"]
        try:
            provider_message_id = provider_for(campaign.connection.provider).send(
                campaign.connection, message
            )
        except ProviderError as exc:
            _after_error(row, exc)
            row.save(update_fields=[*fields, "due_at"])
            return row.state
        except Exception as exc:  # an unexpected error: retried like a temporary one
            logger.exception("Campaign %s recipient %s: unexpected send error", campaign_id, row.pk)
            _after_error(row, ProviderError(str(exc)[:300], permanent=False, code="unexpected"))
            row.save(update_fields=[*fields, "due_at"])
            return row.state
        row.state = State.SENT
        row.provider_message_id = provider_message_id[:255]
        row.sent_at = timezone.now()
        row.claimed_at = None
        row.error_code = row.error_detail = ""
        row.save(update_fields=[*fields, "provider_message_id", "sent_at"])
        return row.state


def _after_error(row: CampaignRecipient, error: ProviderError) -> None:
    row.claimed_at = None
    row.error_code = (error.code or "provider_error")[:64]
    row.error_detail = error.detail[:500]
    if error.permanent or row.attempts >= settings.OUTBOUND_MAX_ATTEMPTS:
        row.state = State.FAILED
        return
    delay = error.retry_after or delivery_backoff(row.attempts)
    row.state = State.QUEUED
    row.due_at = timezone.now() + timedelta(seconds=delay)


def _finish_if_done(campaign_id: int) -> bool:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status != Status.RUNNING:
            return True
        if CampaignRecipient.objects.filter(
            campaign_id=campaign_id, state__in=[State.QUEUED, State.SENDING]
        ).exists():
            return False
        campaign.status = Status.FINISHED
        campaign.finished_at = timezone.now()
        campaign.runner_until = None
        campaign.save(update_fields=["status", "finished_at", "runner_until", "updated_at"])
    progress_publish(campaign_id, force=True)
    return True


def campaign_send_run(*, campaign_id: int, run_seconds: float | None = None) -> RunOutcome:
    """Send the campaign's due recipients for up to ``run_seconds`` (CAMPAIGN_RUN_SECONDS).

    Returns when the campaign stops running (status re-read at least every POLL_SECONDS and
    before each send), finishes, or the time is up; ``again_in`` says when to run again. Does
    nothing while another sender holds the campaign.
    """
    if not _runner_take(campaign_id):
        return RunOutcome(0, None)
    limit = settings.CAMPAIGN_RUN_SECONDS if run_seconds is None else run_seconds
    deadline = time.monotonic() + limit
    sent = 0
    looked_at = 0.0
    try:
        campaign = Campaign.objects.select_related("connection").get(pk=campaign_id)
        while time.monotonic() < deadline:
            # The lease and dead claims are looked after a few times a second, not per message
            # (each send re-checks the status under the campaign's lock anyway).
            if time.monotonic() - looked_at >= POLL_SECONDS:
                looked_at = time.monotonic()
                if _runner_renew(campaign_id) != Status.RUNNING:
                    return RunOutcome(sent, None)
                _interrupted_fail(campaign_id)
            _slot_wait(campaign)
            recipient_id = _claim(campaign_id)
            if recipient_id is not None:
                if _send(campaign_id, recipient_id) == State.SENT:
                    sent += 1
                progress_publish(campaign_id)
                continue
            next_due = CampaignRecipient.objects.filter(
                campaign_id=campaign_id, state=State.QUEUED
            ).aggregate(at=Min("due_at"))["at"]
            if next_due is None:
                if _finish_if_done(campaign_id):
                    return RunOutcome(sent, None)
                time.sleep(POLL_SECONDS)  # a claim still in flight elsewhere
                continue
            wait = (next_due - timezone.now()).total_seconds()
            if wait > deadline - time.monotonic():
                return RunOutcome(sent, max(wait, 0.0))
            time.sleep(min(max(wait, 0.0), POLL_SECONDS))
            looked_at = 0.0
        return RunOutcome(sent, 0.0)
    finally:
        _runner_release(campaign_id)


def campaigns_stalled() -> list[int]:
    """Running campaigns that no sender holds (a lost task or a killed worker)."""
    now = timezone.now()
    return list(
        Campaign.objects.filter(status=Status.RUNNING)
        .filter(Q(runner_until__isnull=True) | Q(runner_until__lt=now))
        .values_list("pk", flat=True)
    )
