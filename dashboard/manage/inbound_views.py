"""The admins' page of inbound events that need a hand (/manage/inbound/): what failed to
process and what arrived unreadable (quarantined), each with its reason and raw content, and
retrying them one by one or in bulk. Every retry is audited by the service."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedHttpRequest
from channels_integrations.models import InboundEvent
from channels_integrations.providers.base import malformed_reason_label
from channels_integrations.selectors import INBOUND_REVIEW_LIMIT, inbound_events_for_review
from channels_integrations.services.inbound_replay import inbound_events_replay
from dashboard.decorators import admin_required

STATUS_FILTERS = (InboundEvent.Status.FAILED, InboundEvent.Status.QUARANTINED)


def _reason(event: InboundEvent) -> str:
    if event.status == InboundEvent.Status.QUARANTINED:
        return malformed_reason_label(event.last_error)
    return event.last_error


@admin_required
def inbound_review(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    rows: list[dict[str, Any]] = [
        {
            "event": event,
            "reason": _reason(event),
            "content": json.dumps(event.item, indent=2, ensure_ascii=False, sort_keys=True),
        }
        for event in inbound_events_for_review(status=status)
    ]
    context = {
        "section": "inbound",
        "rows": rows,
        "status": status,
        "status_filters": [(value, InboundEvent.Status(value).label) for value in STATUS_FILTERS],
        "limit": INBOUND_REVIEW_LIMIT,
    }
    return render(request, "channels_integrations/manage/inbound.html", context)


@admin_required
@require_POST
def inbound_retry(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Retry the selected events (``event``, repeated), or only the one of a row's own button
    (``only``)."""
    values = [request.POST["only"]] if "only" in request.POST else request.POST.getlist("event")
    event_ids = [int(value) for value in values if value.isascii() and value.isdigit()]
    status = request.POST.get("status", "")
    target = reverse("manage:inbound")
    if status in STATUS_FILTERS:
        target += f"?status={status}"
    if not event_ids:
        messages.error(request, _("Select at least one event to retry."))
        return redirect(target)
    outcome = inbound_events_replay(event_ids=event_ids, by=request.user)
    if outcome.replayed:
        count = len(outcome.replayed)
        messages.success(
            request,
            ngettext("%(count)s event retried.", "%(count)s events retried.", count)
            % {"count": count},
        )
    for event_id, error in outcome.refused.items():
        reason = {"id": event_id, "reason": error.message}
        messages.error(request, _("Event %(id)s was not retried: %(reason)s") % reason)
    return redirect(target)
