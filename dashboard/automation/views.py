"""Pages of automation: the business hours of the tenant and of each queue (/manage/), and the
header's "away" / "available" control. Short views: a selector, a form for the shape, the
service for the rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.presence import AWAY, ONLINE, presence_choose
from accounts.requests import AuthenticatedHttpRequest
from automation.selectors.business_hours import (
    business_hours_get,
    business_hours_rows,
    schedule_for_queue,
)
from automation.services.business_hours import (
    IntervalInput,
    business_hours_delete,
    business_hours_set,
)
from core.exceptions import ApplicationError, FieldValidationError
from dashboard.automation.forms import (
    BusinessHoursForm,
    day_field,
    holidays_text,
    intervals_text,
)
from dashboard.decorators import admin_required
from dashboard.htmx import form_add_service_error
from tenants.tenancy import current_tenant
from tickets.errors import QueueNotFound
from tickets.models import Queue
from tickets.selectors import queue_get_for, queues_for


def _by_weekday(error: ApplicationError, intervals: list[IntervalInput]) -> ApplicationError:
    """The service names intervals by their index; the form has one field per weekday."""
    fields = error.extra.get("fields")
    if not isinstance(error, FieldValidationError) or not isinstance(fields, dict):
        return error
    mapped: dict[str, list[str]] = {}
    for name, errors in fields.items():
        if (
            name.startswith("intervals.")
            and name[10:].isdigit()
            and int(name[10:]) < len(intervals)
        ):
            name = day_field(intervals[int(name[10:])].weekday)
        mapped.setdefault(name, []).extend(errors)
    return FieldValidationError(mapped, error.message)


def _queue(request: AuthenticatedHttpRequest, pk: int) -> Queue:
    try:
        return queue_get_for(user=request.user, pk=pk)
    except QueueNotFound as exc:
        raise Http404 from exc


@admin_required
def business_hours_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    """The tenant's schedule (no ``pk``) or a queue's own."""
    queue = _queue(request, pk) if pk is not None else None
    row = business_hours_get(queue_id=pk)
    initial: dict[str, Any] = {
        "is_enabled": row.is_enabled if row else False,
        "out_of_hours_message": row.out_of_hours_message if row else "",
        "bot_stops_out_of_hours": row.bot_stops_out_of_hours if row else False,
        "holidays": holidays_text(row),
    }
    initial.update({day_field(day): intervals_text(row, day) for day in range(7)})
    form = BusinessHoursForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            business_hours_set(
                by=request.user,
                queue=queue,
                is_enabled=data["is_enabled"],
                out_of_hours_message=data["out_of_hours_message"],
                intervals=data["intervals"],
                holidays=data["holiday_list"],
                bot_stops_out_of_hours=data["bot_stops_out_of_hours"],
            )
        except ApplicationError as exc:
            form_add_service_error(form, _by_weekday(exc, data["intervals"]))
        else:
            messages.success(request, _("Business hours saved."))
            if queue is not None:
                return redirect("manage:business-hours-queue", queue.pk)
            return redirect("manage:business-hours")
    rows = business_hours_rows()
    schedule = schedule_for_queue(queue_id=pk, rows=rows)
    context = {
        "section": "business-hours",
        "form": form,
        "queue": queue,
        "has_own": row is not None,
        "time_zone": current_tenant().time_zone,
        "open_now": schedule is None or schedule.is_open(timezone.now()),
        "queues": [
            {"queue": q, "own": q.pk in rows}
            for q in queues_for(request.user).prefetch_related(None).order_by("name")
        ],
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "automation/manage/business_hours.html", context, status=status)


@admin_required
@require_POST
def business_hours_queue_reset(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The queue follows the tenant's schedule again."""
    queue = _queue(request, pk)
    business_hours_delete(by=request.user, queue=queue)
    messages.success(
        request, _("%(name)s follows the account's business hours.") % {"name": queue.name}
    )
    return redirect("manage:business-hours")


@login_required
@require_POST
def presence_set(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The header control: the signed-in user sets themselves away or available."""
    status = request.POST.get("status")
    if status not in (AWAY, ONLINE):
        return HttpResponse(_("Choose away or available."), status=400)
    presence_choose(user_id=request.user.pk, status=status)
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return redirect(next_url)
