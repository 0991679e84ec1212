"""Data rights pages: a contact's export and erasure (from the contact's page, for admins), the
request log with deadlines and progress, the export's download, and the retention policy with
its dry run (/manage/privacy/)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthenticatedHttpRequest
from contacts.errors import ContactNotFound
from contacts.models import Contact
from contacts.selectors import contact_get_for_user
from core.exceptions import ApplicationError
from dashboard.decorators import admin_required
from dashboard.privacy.forms import ExportForm, RetentionPolicyForm
from privacy.errors import PrivacyRequestNotFound
from privacy.models import PrivacyRequest
from privacy.selectors import privacy_erasure_scope, privacy_export_get, privacy_request_list
from privacy.services import (
    privacy_erasure_request,
    privacy_export_request,
    retention_policy_get,
    retention_policy_update,
    retention_preview,
)
from tickets.media import MediaNotFound, file_response

LOG_LENGTH = 100


def _contact(request: AuthenticatedHttpRequest, public_id: UUID) -> Contact:
    try:
        return contact_get_for_user(user=request.user, public_id=public_id)
    except ContactNotFound as exc:
        raise Http404 from exc


def _log_context() -> dict[str, object]:
    requests = list(privacy_request_list()[:LOG_LENGTH])
    return {
        "requests": requests,
        "working": any(r.status in ("pending", "running") for r in requests),
        "now": timezone.now(),
    }


@admin_required
def privacy_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The request log and the retention policy (saved, or tried with the dry run)."""
    policy = retention_policy_get()
    form = RetentionPolicyForm(request.POST or None, instance=policy)
    preview = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if "dry_run" in request.POST:
                preview = retention_preview(months=data["months"], action=data["action"])
            else:
                retention_policy_update(
                    is_enabled=data["is_enabled"], months=data["months"], action=data["action"]
                )
                messages.success(request, _("Retention policy saved."))
                return redirect("manage:privacy")
        else:
            status = 400
    context = {"section": "privacy", "form": form, "preview": preview, **_log_context()}
    return render(request, "privacy/manage/privacy.html", context, status=status)


@admin_required
@require_GET
def privacy_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The request log alone (refreshed while a job runs)."""
    return render(request, "privacy/manage/_log.html", _log_context())


@admin_required
@require_POST
def privacy_contact_export(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    contact = _contact(request, public_id)
    form = ExportForm(request.POST)
    form.is_valid()  # a single optional checkbox: always valid
    try:
        privacy_export_request(
            contact=contact,
            requested_by=request.user,
            include_notes=bool(form.cleaned_data.get("include_notes")),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("contacts:edit", public_id=public_id)
    messages.success(
        request,
        _("Export of %(name)s requested: download it here when it is ready.")
        % {"name": contact.name},
    )
    return redirect("manage:privacy")


@admin_required
def privacy_contact_erase(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """GET: what will go, and the confirmation; POST: the erasure request."""
    contact = _contact(request, public_id)
    if request.method == "POST":
        try:
            privacy_erasure_request(contact=contact, requested_by=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("contacts:edit", public_id=public_id)
        messages.success(
            request, _("Erasure of contact #%(id)s started: follow it here.") % {"id": contact.pk}
        )
        return redirect("manage:privacy")
    context = {"section": "privacy", "contact": contact, "scope": privacy_erasure_scope(contact)}
    return render(request, "privacy/manage/erase.html", context)


@login_required
@require_GET
def privacy_export_download(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponseBase:
    """An export's ZIP, for the tenant's admins (``admin_required``'s check; it types pages,
    not file streams), while its window lasts."""
    if not request.user.is_admin:
        raise PermissionDenied
    try:
        export = privacy_export_get(public_id=public_id)
    except PrivacyRequestNotFound as exc:
        raise Http404 from exc
    if (
        export.status != PrivacyRequest.Status.DONE
        or not export.file
        or (export.expires_at is not None and export.expires_at <= timezone.now())
    ):
        raise Http404
    try:
        return file_response(
            export.file, filename=f"contact-{export.contact_ref}-data.zip", inline=False
        )
    except MediaNotFound as exc:
        raise Http404 from exc
