"""Writes of campaigns: create and edit a draft, build its audience, start, pause, resume,
cancel. The sender (``campaigns.sending``) and the reactions to replies and delivery statuses
(``campaigns.replies``) live beside it.

Status machine: draft → running ⇄ paused → finished, and running/paused → cancelled. Only a
draft may change its message, schedule or audience. Starting fixes each recipient's variant and
due time (``campaigns.schedule``); resuming schedules what is still queued again from now.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import partial
from itertools import zip_longest
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_object, audit_record, changes_diff, snapshot
from campaigns.domain_events import CampaignProgressed
from campaigns.errors import (
    CampaignEmpty,
    CampaignNotEditable,
    CampaignStateConflict,
    CampaignTemplateRequired,
)
from campaigns.models import (
    MAX_PER_MINUTE,
    MAX_VARIANTS,
    Campaign,
    CampaignMedia,
    CampaignOptOut,
    CampaignRecipient,
)
from campaigns.schedule import campaign_schedule, window_from
from channels_integrations.errors import TemplateNotApproved, TemplateParametersInvalid
from channels_integrations.models import MessageTemplate
from channels_integrations.providers.registry import UnknownProvider, provider_for
from channels_integrations.services.templates import template_parameters, template_payload
from connections.models import ChannelConnection
from contacts.csv_io import csv_decode, csv_parse
from contacts.models import Contact, ContactAttributeDefinition, ContactIdentity
from contacts.phone_numbers import phone_normalize, tenant_phone_region
from contacts.services import contact_create
from core.event_bus import publish
from core.exceptions import ApplicationError, FieldValidationError
from tenants.tenancy import current_tenant
from tickets.media import media_validate
from tickets.message_variables import variables_check, variables_render, variables_unknown

Status = Campaign.Status
State = CampaignRecipient.State

# Providers that reach a contact by phone number when it never wrote through them.
PHONE_PROVIDERS = ("whatsapp_cloud", "whatsapp_qr")
# Providers on which a business may only open a conversation with an approved template.
TEMPLATE_PROVIDERS = ("whatsapp_cloud",)
BULK_BATCH = 1000


def variables_allowed() -> list[str]:
    """The variables a campaign text may use: the contact's names and custom attributes."""
    keys = ContactAttributeDefinition.objects.order_by("key").values_list("key", flat=True)
    return ["contact.first_name", "contact.name", *(f"contact.attributes.{key}" for key in keys)]


@dataclass(frozen=True)
class CampaignInput:
    """What an admin sets on a draft campaign."""

    name: str
    connection: ChannelConnection
    variants: Sequence[str]
    scheduled_at: datetime | None = None
    per_minute: int = 20
    window_start: time | None = None
    window_end: time | None = None
    window_days: Sequence[int] = ()
    template: MessageTemplate | None = None
    template_parameters: Mapping[str, str] = field(default_factory=dict)
    # Per variant, in the order of ``variants``: the public id of a file from
    # ``campaign_media_upload`` (its variant's text is the caption), or None. A template
    # campaign's file (its media header) is the first one given.
    media: Sequence[UUID | str | None] = ()


# What a template parameter's variables become when the parameters are checked at save time.
_SAMPLE_CONTACT = {"contact.first_name": "Maria", "contact.name": "Maria Silva"}


def _template_clean(
    data: CampaignInput, header_file: CampaignMedia | None, errors: dict[str, list[str]]
) -> dict[str, str]:
    """The template's parameter values, checked against its definition with sample contact
    values in place of the variables; a media header takes the campaign's file, which must be
    of the header's kind. Problems go into ``errors``."""
    template = data.template
    if data.connection.provider not in TEMPLATE_PROVIDERS:
        if template is not None:
            errors["template"] = [_("Templates are for WhatsApp Cloud connections.")]
        return {}
    if template is None:
        errors["template"] = [str(CampaignTemplateRequired.default_message)]
        return {}
    if template.connection_id != data.connection.pk:
        errors["template"] = [_("Choose a template of the campaign's connection.")]
        return {}
    header = next((p for p in template_parameters(template) if p.key == "header.media"), None)
    if header is None and header_file is not None:
        errors["media"] = [_("This template has no media header: remove the file.")]
    elif header is not None and header_file is None:
        errors["media"] = [
            _("This template's header shows a file (%(kind)s): attach one to the message.")
            % {"kind": header.kind}
        ]
    elif header is not None and header_file is not None and header_file.kind != header.kind:
        errors["media"] = [
            _("This template's header shows a file of kind %(kind)s, not %(given)s.")
            % {"kind": header.kind, "given": header_file.kind}
        ]
    values = {str(k): str(v) for k, v in data.template_parameters.items()}
    samples = {key: variables_render(value, _sample_values(value)) for key, value in values.items()}
    try:
        template_payload(template, samples, header_from_file=True)
    except TemplateNotApproved:
        errors["template"] = [_("The template is not approved by WhatsApp.")]
    except TemplateParametersInvalid as exc:
        for key, messages in (exc.extra.get("fields") or {}).items():
            errors[f"template_parameters.{key}"] = [str(m) for m in messages]
    return values


def _sample_values(text: str) -> dict[str, str]:
    values = dict(_SAMPLE_CONTACT)
    for name in variables_unknown(text, allowed=()):
        values.setdefault(name.strip("{} "), "x")
    return values


def _media_get(ref: UUID | str, campaign: Campaign | None) -> CampaignMedia | None:
    """An uploaded file not yet in a campaign, or already in ``campaign``; None otherwise (a
    malformed id, another tenant's or another campaign's file). Locked: two drafts saved at
    once cannot both take the same upload."""
    try:
        media = CampaignMedia.objects.select_for_update().filter(public_id=ref).first()
    except (ValueError, DjangoValidationError):
        return None
    if media is None or media.campaign_id not in (None, campaign.pk if campaign else None):
        return None
    return media


def _variants_clean(
    data: CampaignInput, campaign: Campaign | None, errors: dict[str, list[str]]
) -> list[tuple[str, CampaignMedia | None]]:
    """The messages as (text, file) pairs, empty ones dropped; each file found and able to
    carry its text as a caption on the connection's provider. Errors name the position in
    ``variants``/``media`` as given (``media.1``)."""
    given: list[tuple[int, str, CampaignMedia | None]] = []
    for index, (text, ref) in enumerate(zip_longest(data.variants, data.media)):
        media = None
        if ref not in (None, ""):
            media = _media_get(ref, campaign)
            if media is None:
                errors[f"media.{index}"] = [_("Unknown file: upload it again.")]
        text = (text or "").strip()
        if text or media is not None:
            given.append((index, text, media))
    provider = None
    if data.connection.provider not in TEMPLATE_PROVIDERS:
        try:
            provider = provider_for(data.connection.provider)
        except UnknownProvider:
            provider = None
    for index, text, media in given:
        if provider is None or media is None or not text:
            continue
        if media.kind not in provider.caption_kinds:
            errors[f"media.{index}"] = [
                _(
                    "This channel shows no text with this kind of file (%(kind)s): send it "
                    "without text, or choose an image, a video or a document."
                )
                % {"kind": media.kind}
            ]
        limit = provider.caption_max_length
        if limit and len(variables_render(text, _sample_values(text))) > limit:
            errors[f"variants.{index}"] = [
                _("With a file, the text is its caption: at most %(max)d characters here.")
                % {"max": limit}
            ]
    return [(text, media) for _index, text, media in given]


def _clean(data: CampaignInput, campaign: Campaign | None = None) -> dict[str, Any]:
    """The campaign's fields, and under ``media`` its files by variant (not a field)."""
    errors: dict[str, list[str]] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = [_("Give the campaign a name.")]
    pairs = _variants_clean(data, campaign, errors)
    header_file = next((media for _text, media in pairs if media is not None), None)
    template_values = _template_clean(data, header_file, errors)
    media: dict[int, CampaignMedia] = {}
    if data.connection.provider in TEMPLATE_PROVIDERS:
        pairs = []  # the template is the message
        if header_file is not None and "media" not in errors:
            media[0] = header_file
    elif not pairs:
        errors["variants"] = [_("Write at least one message.")]
    elif len(pairs) > MAX_VARIANTS:
        errors["variants"] = [_("At most three messages.")]
    elif len({(text, m.pk if m else None) for text, m in pairs}) != len(pairs):
        errors["variants"] = [_("The messages must differ from each other.")]
    else:
        media = {i: m for i, (_text, m) in enumerate(pairs) if m is not None}
    if not 1 <= data.per_minute <= MAX_PER_MINUTE:
        errors["per_minute"] = [
            _("Between 1 and %(max)s messages per minute.") % {"max": MAX_PER_MINUTE}
        ]
    if (data.window_start is None) != (data.window_end is None):
        errors["window_end"] = [_("Give the window both a start and an end.")]
    if any(not 0 <= day <= 6 for day in data.window_days):
        errors["window_days"] = [_("Days go from 0 (Monday) to 6 (Sunday).")]
    if errors:
        raise FieldValidationError(errors)
    variants = [text for text, _media in pairs]
    variables_check(
        {
            **{f"variants.{i}": text for i, text in enumerate(variants)},
            **{f"template_parameters.{k}": v for k, v in template_values.items()},
        },
        allowed=variables_allowed(),
    )
    return {
        "name": name[:120],
        "connection": data.connection,
        "variants": variants,
        "scheduled_at": data.scheduled_at,
        "per_minute": data.per_minute,
        "window_start": data.window_start,
        "window_end": data.window_end,
        "window_days": sorted(set(data.window_days)),
        "template": data.template if data.connection.provider in TEMPLATE_PROVIDERS else None,
        "template_parameters": template_values,
        "media": media,
    }


def _media_names(campaign: Campaign) -> list[str]:
    """The campaign's files as ``<variant>: <name>`` (what its audit entries show)."""
    return [f"{m.variant + 1}: {m.name}" for m in CampaignMedia.objects.filter(campaign=campaign)]


def _media_attach(campaign: Campaign, media: Mapping[int, CampaignMedia]) -> None:
    """Give the campaign exactly these files by variant; a file it no longer uses is deleted,
    its bytes from storage after commit."""
    kept = [m.pk for m in media.values()]
    current = CampaignMedia.objects.filter(campaign=campaign)
    for dropped in current.exclude(pk__in=kept):
        name, storage = dropped.file.name or "", dropped.file.storage
        dropped.delete()
        transaction.on_commit(partial(storage.delete, name), robust=True)
    current.update(campaign=None)  # free the (campaign, variant) slots before reassigning
    for variant, item in media.items():
        CampaignMedia.objects.filter(pk=item.pk).update(campaign=campaign, variant=variant)


def _progressed(campaign: Campaign) -> None:
    publish(CampaignProgressed(campaign_id=campaign.pk))


@transaction.atomic
def campaign_media_upload(*, file: File, name: str = "") -> CampaignMedia:
    """Store a file a campaign message may carry (the same size and type rules as agents'
    files: 400 ``media_too_large`` / ``media_type_not_allowed`` before anything is stored); it
    belongs to no campaign until a create or update names it."""
    info = media_validate(file=file, name=name)
    media = CampaignMedia(name=info.name, mime=info.mime, size=info.size, kind=info.kind)
    media.file.save(info.name, file, save=False)
    media.save()
    return media


@transaction.atomic
def campaign_create(*, by: User, data: CampaignInput) -> Campaign:
    """A draft campaign; its audience is added next."""
    cleaned = _clean(data)
    media = cleaned.pop("media")
    campaign = Campaign.objects.create(created_by=by, **cleaned)
    _media_attach(campaign, media)
    names = _media_names(campaign)
    audit_record(
        "campaign.created", actor=by, obj=campaign, extra={"media": names} if names else None
    )
    return campaign


def _lock(campaign: Campaign) -> Campaign:
    return (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("connection", "template")
        .get(pk=campaign.pk)
    )


def _editable(campaign: Campaign) -> Campaign:
    locked = _lock(campaign)
    if not locked.is_editable:
        raise CampaignNotEditable(extra={"status": locked.status})
    return locked


@transaction.atomic
def campaign_update(*, campaign: Campaign, data: CampaignInput) -> Campaign:
    """Change a draft (409 ``campaign_not_editable`` once it started)."""
    locked = _editable(campaign)
    cleaned = _clean(data, locked)
    media = cleaned.pop("media")
    before = {**snapshot(locked, cleaned), "media": _media_names(locked)}
    for name, value in cleaned.items():
        setattr(locked, name, value)
    locked.save()
    _media_attach(locked, media)
    after = {**snapshot(locked, cleaned), "media": _media_names(locked)}
    audit_record("campaign.updated", obj=locked, changes=changes_diff(before, after))
    return locked


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign that is not sending (draft, finished or cancelled)."""
    locked = _lock(campaign)
    if locked.status in (Status.RUNNING, Status.PAUSED):
        raise CampaignStateConflict(
            _("Cancel the campaign before deleting it."), extra={"status": locked.status}
        )
    target = audit_object(locked)
    files = [
        (m.file.storage, m.file.name or "") for m in CampaignMedia.objects.filter(campaign=locked)
    ]
    locked.delete()
    for storage, name in files:  # the rows went with the campaign; their bytes after commit
        transaction.on_commit(partial(storage.delete, name), robust=True)
    audit_record("campaign.deleted", obj=target)


# --------------------------------------------------------------------------- audience
def audience_attributes_check(attributes: dict[str, Any]) -> None:
    """400 ``validation_error`` naming attribute keys no contact attribute has."""
    known = set(ContactAttributeDefinition.objects.values_list("key", flat=True))
    unknown = sorted(set(attributes) - known)
    if unknown:
        raise FieldValidationError(
            {"attributes": [_("Unknown attribute: %(key)s") % {"key": key} for key in unknown]}
        )


def _recipient_rows(campaign: Campaign, contact_ids: Iterable[int]) -> list[CampaignRecipient]:
    return [
        CampaignRecipient(
            campaign=campaign, contact_id=pk, idempotency_key=f"cmp-{campaign.public_id}-{pk}"
        )
        for pk in contact_ids
    ]


@transaction.atomic
def campaign_audience_add(*, campaign: Campaign, contacts: QuerySet[Contact]) -> int:
    """Add the contacts to a draft's audience (ones already in it are left alone); returns
    how many recipients the campaign has now."""
    locked = _editable(campaign)
    ids = list(contacts.values_list("pk", flat=True))
    for start in range(0, len(ids), BULK_BATCH):
        CampaignRecipient.objects.bulk_create(
            _recipient_rows(locked, ids[start : start + BULK_BATCH]), ignore_conflicts=True
        )
    count = CampaignRecipient.objects.filter(campaign=locked).count()
    audit_record("campaign.audience_changed", obj=locked, extra={"recipients": count})
    return count


@transaction.atomic
def campaign_audience_remove(*, campaign: Campaign, contact_ids: Sequence[int] = ()) -> int:
    """Remove some contacts (all when none are given) from a draft's audience; returns how many
    recipients remain."""
    locked = _editable(campaign)
    rows = CampaignRecipient.objects.filter(campaign=locked)
    (rows.filter(contact_id__in=contact_ids) if contact_ids else rows).delete()
    count = rows.count()
    audit_record("campaign.audience_changed", obj=locked, extra={"recipients": count})
    return count


@dataclass(frozen=True)
class CsvRowResult:
    """One row of an uploaded audience: ``created``, ``matched`` or ``error`` (with why)."""

    row: int
    phone: str
    outcome: str
    detail: str = ""


def campaign_audience_import(*, campaign: Campaign, data: bytes) -> list[CsvRowResult]:
    """Add the contacts of an uploaded CSV (columns name and phone, as the contacts import
    reads them) to a draft: each phone in E.164 matches an existing contact or creates one.
    Returns a report per row; a bad row is reported and skipped."""
    content = csv_parse(csv_decode(data))
    region = tenant_phone_region()
    report: list[CsvRowResult] = []
    contact_ids: list[int] = []
    for row in content.rows:
        try:
            phone = phone_normalize(row.phone, region=region)
        except ApplicationError as exc:
            report.append(CsvRowResult(row.number, row.phone, "error", exc.message))
            continue
        contact = Contact.objects.filter(phone=phone).first()
        if contact is not None:
            report.append(CsvRowResult(row.number, phone, "matched"))
        else:
            try:
                with transaction.atomic():
                    contact = contact_create(name=row.name or phone, phone=phone)
            except (ApplicationError, IntegrityError) as exc:
                detail = exc.message if isinstance(exc, ApplicationError) else str(exc)
                report.append(CsvRowResult(row.number, phone, "error", detail))
                continue
            report.append(CsvRowResult(row.number, phone, "created"))
        contact_ids.append(contact.pk)
    campaign_audience_add(campaign=campaign, contacts=Contact.objects.filter(pk__in=contact_ids))
    outcomes = [result.outcome for result in report]
    audit_record(
        "campaign.audience_imported",
        obj=campaign,
        extra={kind: outcomes.count(kind) for kind in ("created", "matched", "error")},
    )
    return report


# --------------------------------------------------------------------------- lifecycle
def _enqueue_sender(campaign_id: int, countdown: float = 0.0) -> None:
    from campaigns.tasks import campaign_send_task

    campaign_send_task.apply_async(args=(campaign_id,), queue="bulk", countdown=countdown)


def _addressable(campaign: Campaign, contact_ids: list[int]) -> set[int]:
    provider = campaign.connection.provider
    reachable = set(
        ContactIdentity.objects.filter(provider=provider, contact_id__in=contact_ids).values_list(
            "contact_id", flat=True
        )
    )
    if provider in PHONE_PROVIDERS:
        reachable |= set(
            Contact.objects.filter(pk__in=contact_ids)
            .exclude(phone="")
            .values_list("pk", flat=True)
        )
    return reachable


def _skip(rows: QuerySet[CampaignRecipient], code: str, detail: str) -> None:
    rows.update(state=State.SKIPPED, error_code=code, error_detail=detail, due_at=None)


def _schedule_queued(campaign: Campaign, *, now: datetime, start: datetime | None) -> int:
    queued = list(
        CampaignRecipient.objects.filter(campaign=campaign, state=State.QUEUED).order_by("id")
    )
    window = window_from(
        start=campaign.window_start,
        end=campaign.window_end,
        days=campaign.window_days or (),
        tz=ZoneInfo(current_tenant().time_zone),
    )
    times = campaign_schedule(
        count=len(queued), start=start, now=now, per_minute=campaign.per_minute, window=window
    )
    for row, due_at in zip(queued, times, strict=True):
        row.due_at = due_at
    CampaignRecipient.objects.bulk_update(queued, ["due_at"], batch_size=BULK_BATCH)
    return len(queued)


@transaction.atomic
def campaign_start(*, campaign: Campaign) -> Campaign:
    """Start a draft: skip who cannot receive it (opted out, blocked, unreachable on the
    connection), give every other recipient a variant and a due time, and hand the campaign to
    the bulk sender after commit."""
    locked = _lock(campaign)
    if locked.status != Status.DRAFT:
        raise CampaignStateConflict(extra={"status": locked.status})
    if locked.connection.provider in TEMPLATE_PROVIDERS:
        if locked.template is None:
            raise CampaignTemplateRequired()
        if not locked.template.is_approved:
            raise TemplateNotApproved(extra={"status": locked.template.status})
    if not locked.connection.is_active:
        raise CampaignStateConflict(
            _("The campaign's connection is disabled."), code="connection_disabled"
        )
    rows = CampaignRecipient.objects.filter(campaign=locked, state=State.QUEUED)
    if not rows.exists():
        raise CampaignEmpty()
    opted_out = CampaignOptOut.objects.values("contact_id")
    _skip(rows.filter(contact_id__in=opted_out), "opted_out", _("Opted out of campaigns"))
    _skip(rows.filter(contact__is_blocked=True), "blocked", _("Blocked contact"))
    ids = list(rows.values_list("contact_id", flat=True))
    unreachable = set(ids) - _addressable(locked, ids)
    _skip(
        rows.filter(contact_id__in=unreachable),
        "no_address",
        _("The contact has no address on this connection"),
    )
    variants = max(len(locked.variants), 1)  # a template campaign has none
    rng = random.Random()  # noqa: S311 - variety, not secrecy
    queued = list(rows.order_by("id"))
    for row in queued:
        row.variant = rng.randrange(variants)
    CampaignRecipient.objects.bulk_update(queued, ["variant"], batch_size=BULK_BATCH)
    now = timezone.now()
    _schedule_queued(locked, now=now, start=locked.scheduled_at)
    locked.status = Status.RUNNING
    locked.started_at = now
    if not queued:
        locked.status = Status.FINISHED
        locked.finished_at = now
    locked.save(update_fields=["status", "started_at", "finished_at", "updated_at"])
    if queued:
        transaction.on_commit(partial(_enqueue_sender, locked.pk), robust=True)
    _progressed(locked)
    audit_record("campaign.started", obj=locked)
    return locked


@transaction.atomic
def campaign_pause(*, campaign: Campaign) -> Campaign:
    """Stop sending; what is queued stays queued. Waits for a send in progress (the sender
    holds the campaign row while it calls the provider), so nothing goes after this returns."""
    locked = _lock(campaign)
    if locked.status != Status.RUNNING:
        raise CampaignStateConflict(extra={"status": locked.status})
    locked.status = Status.PAUSED
    locked.save(update_fields=["status", "updated_at"])
    # A row claimed but not yet sent goes back to the queue.
    CampaignRecipient.objects.filter(campaign=locked, state=State.SENDING).update(
        state=State.QUEUED, claimed_at=None
    )
    _progressed(locked)
    audit_record("campaign.paused", obj=locked)
    return locked


@transaction.atomic
def campaign_resume(*, campaign: Campaign) -> Campaign:
    """Continue a paused campaign where it stopped, paced again from now."""
    locked = _lock(campaign)
    if locked.status != Status.PAUSED:
        raise CampaignStateConflict(extra={"status": locked.status})
    _schedule_queued(locked, now=timezone.now(), start=None)
    locked.status = Status.RUNNING
    locked.runner_until = None
    locked.save(update_fields=["status", "runner_until", "updated_at"])
    transaction.on_commit(partial(_enqueue_sender, locked.pk), robust=True)
    _progressed(locked)
    audit_record("campaign.resumed", obj=locked)
    return locked


@transaction.atomic
def campaign_cancel(*, campaign: Campaign) -> Campaign:
    """Stop for good: every recipient not yet sent is cancelled. Like pause, it waits for a
    send in progress, so no message leaves after it commits."""
    locked = _lock(campaign)
    if locked.status not in (Status.RUNNING, Status.PAUSED):
        raise CampaignStateConflict(extra={"status": locked.status})
    now = timezone.now()
    locked.status = Status.CANCELLED
    locked.finished_at = now
    locked.save(update_fields=["status", "finished_at", "updated_at"])
    CampaignRecipient.objects.filter(
        campaign=locked, state__in=[State.QUEUED, State.SENDING]
    ).update(state=State.CANCELLED, claimed_at=None, due_at=None)
    _progressed(locked)
    audit_record("campaign.cancelled", obj=locked)
    return locked
