"""Campaign pages under /manage/campaigns/ (admins): the list, a draft's form (message,
schedule, audience), and a campaign's page with its live progress, counts, sends per minute,
recipients and the start/pause/resume/cancel buttons."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedHttpRequest
from campaigns import services
from campaigns.errors import CampaignNotFound
from campaigns.models import Campaign, CampaignRecipient
from campaigns.selectors import (
    approved_templates,
    audience_contacts,
    campaign_counts,
    campaign_get,
    campaign_list,
    campaign_media_get,
    campaign_media_list,
    campaign_recipients,
    sends_per_minute,
)
from channels_integrations.services.templates import template_parameters
from core.exceptions import ApplicationError, FieldValidationError
from dashboard.campaigns.forms import CampaignForm, StoredMedia, pairs_text
from dashboard.decorators import admin_required
from dashboard.htmx import form_add_service_error
from tickets.errors import MediaNotFound
from tickets.media import file_response

State = CampaignRecipient.State
# Figures the campaign page shows, in its order (labels from the model's choices).
SHOWN_STATES = [
    State.QUEUED,
    State.SENT,
    State.DELIVERED,
    State.READ,
    State.FAILED,
    State.SKIPPED,
    State.CANCELLED,
]


def _campaign(public_id: UUID) -> Campaign:
    try:
        return campaign_get(public_id=public_id)
    except CampaignNotFound as exc:
        raise Http404 from exc


@admin_required
def campaign_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    campaigns = list(campaign_list()[:200])
    rows = [(campaign, campaign_counts(campaign=campaign)) for campaign in campaigns]
    return render(
        request, "campaigns/manage/campaign_list.html", {"rows": rows, "section": "campaigns"}
    )


def _contact_ids(raw: str) -> list[UUID]:
    ids = []
    for part in raw.split(","):
        try:
            ids.append(UUID(part.strip()))
        except ValueError:
            continue
    return ids


def _media_refs(form: CampaignForm, uploaded: list[FieldFile]) -> list[str | None]:
    """Per variant: the public id of the file kept or just uploaded (added to ``uploaded``),
    or None; a refused upload is an error of its own input."""
    refs: list[str | None] = []
    for slot, value in enumerate(form.variant_media(), start=1):
        if value is None:
            refs.append(None)
        elif isinstance(value, StoredMedia):
            refs.append(value.public_id)
        else:
            try:
                media = services.campaign_media_upload(file=value)
            except ApplicationError as error:
                raise FieldValidationError({f"media_{slot}": [error.message]}) from error
            uploaded.append(media.file)
            refs.append(str(media.public_id))
    return refs


def _form_field(key: str) -> str:
    """The form input a service error names: ``variants.1`` → ``variant_2``, ``media.0`` →
    ``media_1``, ``media`` (a template's header file) → ``media_1``."""
    name, _dot, index = key.partition(".")
    if name in ("variants", "media") and (index.isdigit() or name == "media"):
        slot = int(index) + 1 if index else 1
        return f"{'variant' if name == 'variants' else 'media'}_{slot}"
    return key


def _form_error(form: CampaignForm, error: ApplicationError) -> None:
    fields = error.extra.get("fields")
    if isinstance(error, FieldValidationError) and isinstance(fields, dict):
        error.extra["fields"] = {_form_field(key): value for key, value in fields.items()}
    form_add_service_error(form, error)


def _save(
    request: AuthenticatedHttpRequest,
    form: CampaignForm,
    campaign: Campaign | None,
    uploaded: list[FieldFile],
) -> Campaign:
    data = form.cleaned_data
    values = services.CampaignInput(
        name=data["name"],
        connection=data["connection"],
        variants=form.variants(),
        scheduled_at=data["scheduled_at"],
        per_minute=data["per_minute"],
        window_start=data["window_start"],
        window_end=data["window_end"],
        window_days=data["window_days"],
        template=data["template"],
        template_parameters=data["template_parameters"],
        media=_media_refs(form, uploaded),
    )
    if campaign is None:
        campaign = services.campaign_create(by=request.user, data=values)
    else:
        campaign = services.campaign_update(campaign=campaign, data=values)
    tags, attributes = list(data["tags"]), data["attribute_filter"]
    selection = _contact_ids(data["contact_ids"])
    if tags or attributes or selection:
        services.audience_attributes_check(attributes)
        contacts = audience_contacts(
            tag_ids=[tag.pk for tag in tags],
            attributes=attributes,
            contact_ids=selection or None,
        )
        services.campaign_audience_add(campaign=campaign, contacts=contacts)
    upload = data["csv_file"]
    if upload is not None:
        report = services.campaign_audience_import(campaign=campaign, data=upload.read())
        errors = [row for row in report if row.outcome == "error"]
        added = len(report) - len(errors)
        messages.info(
            request,
            _("CSV: %(added)s contacts added, %(errors)s rows with errors.")
            % {"added": added, "errors": len(errors)},
        )
        for row in errors[:20]:
            messages.warning(
                request,
                _("Row %(row)s (%(phone)s): %(detail)s")
                % {"row": row.row, "phone": row.phone, "detail": row.detail},
            )
    return campaign


def _initial(campaign: Campaign) -> dict[str, Any]:
    variants = [*campaign.variants, "", "", ""]
    files = {m.variant: StoredMedia.of(m) for m in campaign_media_list(campaign=campaign)}
    return {
        **{f"media_{i + 1}": files[i] for i in range(3) if i in files},
        "name": campaign.name,
        "connection": campaign.connection_id,
        "variant_1": variants[0],
        "variant_2": variants[1],
        "variant_3": variants[2],
        "scheduled_at": campaign.scheduled_at,
        "per_minute": campaign.per_minute,
        "window_start": campaign.window_start,
        "window_end": campaign.window_end,
        "window_days": campaign.window_days,
        "template": campaign.template_id,
        "template_parameters": pairs_text(campaign.template_parameters or {}),
    }


@admin_required
def campaign_edit_page(
    request: AuthenticatedHttpRequest, public_id: UUID | None = None
) -> HttpResponse:
    """A new campaign, or a draft's changes (more contacts may be added each time)."""
    campaign = _campaign(public_id) if public_id is not None else None
    if campaign is not None and not campaign.is_editable:
        messages.error(request, _("A campaign can only be changed before it starts."))
        return redirect("manage:campaign", public_id=campaign.public_id)
    if request.method == "POST":
        # The stored files are the fields' initial values: a file input left empty keeps one.
        initial = _initial(campaign) if campaign else {}
        form = CampaignForm(request.POST, request.FILES, initial=initial)
        if form.is_valid():
            uploaded: list[FieldFile] = []
            try:
                with transaction.atomic():  # a refused CSV leaves no half-made campaign
                    saved = _save(request, form, campaign, uploaded)
            except ApplicationError as error:
                for file in uploaded:  # their rows were rolled back: the bytes go too
                    file.storage.delete(file.name or "")
                _form_error(form, error)
            else:
                messages.success(request, _("Campaign saved."))
                return redirect("manage:campaign", public_id=saved.public_id)
    else:
        initial = _initial(campaign) if campaign else {}
        # The contacts page sends each chosen contact as its own ``contacts`` value.
        initial["contact_ids"] = ",".join(request.GET.getlist("contacts"))
        form = CampaignForm(initial=initial)
    selected = len(_contact_ids(str(form["contact_ids"].value() or "")))
    templates = [
        (template, [p.key for p in template_parameters(template)])
        for template in approved_templates()
    ]
    return render(
        request,
        "campaigns/manage/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            "selected": selected,
            "templates": templates,
            "section": "campaigns",
        },
    )


@admin_required
def campaign_page(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    campaign = _campaign(public_id)
    counts = campaign_counts(campaign=campaign)
    state = request.GET.get("state", "")
    if state not in State.values:
        state = ""
    page = Paginator(campaign_recipients(campaign=campaign, state=state), 50).get_page(
        request.GET.get("page")
    )
    minutes = sends_per_minute(campaign=campaign)[-60:]
    busiest = max((count for _minute, count in minutes), default=0)
    chart = [
        (minute, count, int(count * 100 / busiest) if busiest else 0) for minute, count in minutes
    ]
    figures = [(choice, State(choice).label, counts[choice]) for choice in SHOWN_STATES]
    files = {m.variant: StoredMedia.of(m) for m in campaign_media_list(campaign=campaign)}
    messages_shown = [(text, files.get(i)) for i, text in enumerate(campaign.variants)]
    return render(
        request,
        "campaigns/manage/campaign_detail.html",
        {
            "campaign": campaign,
            "messages_shown": messages_shown,
            "header_file": files.get(0) if campaign.template_id else None,
            "counts": counts,
            "figures": figures,
            "page": page,
            "state": state,
            "states": [(choice, State(choice).label) for choice in State.values],
            "chart": chart,
            "section": "campaigns",
        },
    )


@admin_required
def campaign_media_file(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponseBase:
    """A campaign's file for its previews (images, audio and video inline)."""
    try:
        media = campaign_media_get(public_id=public_id)
        inline = media.kind in ("image", "audio", "video")
        return file_response(media.file, filename=media.name, mime=media.mime, inline=inline)
    except MediaNotFound as exc:
        raise Http404 from exc


_ACTIONS = {
    "start": (services.campaign_start, _("Campaign started.")),
    "pause": (services.campaign_pause, _("Campaign paused.")),
    "resume": (services.campaign_resume, _("Campaign resumed.")),
    "cancel": (services.campaign_cancel, _("Campaign cancelled.")),
}


@admin_required
@require_POST
def campaign_action(
    request: AuthenticatedHttpRequest, public_id: UUID, action: str
) -> HttpResponse:
    campaign = _campaign(public_id)
    if action == "delete":
        try:
            services.campaign_delete(campaign=campaign)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("manage:campaign", public_id=public_id)
        messages.success(request, _("Campaign deleted."))
        return redirect("manage:campaigns")
    if action not in _ACTIONS:
        raise Http404
    service, done = _ACTIONS[action]
    try:
        service(campaign=campaign)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("manage:campaign", public_id=public_id)
