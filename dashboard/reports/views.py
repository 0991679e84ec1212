"""The reports dashboard (/reports/) and its CSV exports: figures from ``reports.selectors``,
for admins the tenant's, for agents their own."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.presence import presence_statuses_shown
from accounts.requests import AuthenticatedHttpRequest
from audit.services import audit_record
from contacts.csv_io import csv_safe_cell
from dashboard.decorators import admin_required
from dashboard.htmx import htmx_partial
from dashboard.reports.forms import ContactReportForm, ReportForm
from dashboard.reports.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from dashboard.reports.xlsx import xlsx_table
from reports.selectors import (
    TABLES,
    Cards,
    Duration,
    Report,
    live_agents,
    live_queues,
    report_build,
    report_filter_choices,
    report_table,
)
from reports.selectors.business_time import business_hours_enabled
from reports.selectors.contacts import AREA_CODES, contacts_per_state, contacts_report
from tenants.tenancy import current_tenant

WEEKDAYS = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)


def _form(request: AuthenticatedHttpRequest) -> ReportForm:
    zone = ZoneInfo(current_tenant().time_zone)
    data = request.GET if "period" in request.GET else {"period": "7d"}
    return ReportForm(
        data,
        choices=report_filter_choices(user=request.user),
        zone=zone,
        today=timezone.now().astimezone(zone).date(),
        business_hours=business_hours_enabled(),
    )


def _count_card(key: str, label: str, current: int, previous: int) -> dict[str, Any]:
    return {"key": key, "label": label, "value": current, "previous": previous}


def _duration_card(key: str, label: str, current: Duration, previous: Duration) -> dict[str, Any]:
    return {"key": key, "label": label, "duration": current, "previous_duration": previous}


def _cards(cards: Cards, previous: Cards) -> list[dict[str, Any]]:
    return [
        _count_card("attendances", _("Attendances"), cards.attendances, previous.attendances),
        _count_card("active", _("Active demand"), cards.active, previous.active),
        _count_card("receptive", _("Receptive demand"), cards.receptive, previous.receptive),
        _count_card("new_contacts", _("New contacts"), cards.new_contacts, previous.new_contacts),
        _duration_card(
            "first_response",
            _("First response time"),
            cards.first_response,
            previous.first_response,
        ),
        _duration_card("wait", _("Waiting time (TME)"), cards.wait, previous.wait),
        _duration_card("bot", _("Time with the bot"), cards.bot, previous.bot),
        _duration_card("handling", _("Handling time (TMA)"), cards.handling, previous.handling),
        _duration_card("resolution", _("Resolution time"), cards.resolution, previous.resolution),
        {
            "key": "reopen_rate",
            "label": _("Reopen rate"),
            "value": f"{cards.reopen_rate:.1f}%",
            "previous": f"{previous.reopen_rate:.1f}%",
        },
    ]


def _charts(report: Report) -> dict[str, Any]:
    """The chart data the page's script draws (the same numbers as the table views)."""
    return {
        "daily": {
            "labels": [day.strftime("%d/%m") for day, _n in report.daily],
            "values": [n for _day, n in report.daily],
        },
        "channels": {
            "labels": [share.label for share in report.channels],
            "values": [share.count for share in report.channels],
        },
        "queues": {
            "labels": [row.name or _("No queue") for row in report.queues],
            "values": [row.attendances for row in report.queues],
        },
        "agents": {
            "labels": [row.name or _("Unassigned") for row in report.agents],
            "values": [row.taken for row in report.agents],
            "closed": [row.closed for row in report.agents],
        },
        "labels": {
            "attendances": _("Attendances"),
            "taken": _("Taken"),
            "closed": _("Closed"),
        },
    }


def _heat(report: Report) -> list[dict[str, Any]]:
    peak = max((max(row) for row in report.week_hours), default=0) or 1
    return [
        {
            "weekday": WEEKDAYS[index],
            "cells": [{"n": n, "level": round(4 * n / peak)} for n in row],
        }
        for index, row in enumerate(report.week_hours)
    ]


@login_required
def report_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The dashboard for the chosen period and filters (400 with the form's errors)."""
    form = _form(request)
    if not form.is_valid() or form.resolved is None:
        return render(request, "reports/dashboard.html", {"form": form}, status=400)
    report = report_build(
        user=request.user, filters=form.filters, period=form.resolved, business=form.business
    )
    query = request.GET.urlencode() if "period" in request.GET else "period=7d"
    context = {
        "form": form,
        "report": report,
        "cards": _cards(report.cards, report.previous),
        "previous_period": report.period.previous(),
        "charts": _charts(report),
        "heat": _heat(report),
        "hours": range(24),
        "query": query,
    }
    return render(request, "reports/dashboard.html", context)


class _Line:
    def write(self, value: str) -> str:
        return value


def _csv(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + str(writer.writerow(header))
    for row in rows:
        yield str(writer.writerow([csv_safe_cell(str(cell)) for cell in row]))


@login_required
def report_export(
    request: AuthenticatedHttpRequest, table: str, extension: str = "csv"
) -> HttpResponse | StreamingHttpResponse:
    """One table of the dashboard as CSV (streamed) or XLSX, for the same period and filters."""
    if table not in TABLES or extension not in ("csv", "xlsx"):
        raise Http404
    form = _form(request)
    if not form.is_valid() or form.resolved is None:
        return render(request, "reports/dashboard.html", {"form": form}, status=400)
    report = report_build(
        user=request.user, filters=form.filters, period=form.resolved, business=form.business
    )
    header, rows = report_table(report, table)
    period = report.period
    audit_record(
        "report.exported",
        actor=request.user,
        extra={"table": table, "format": extension, "from": period.first, "to": period.last},
    )
    response: HttpResponse | StreamingHttpResponse
    if extension == "xlsx":
        body = xlsx_table(sheet=table, header=header, rows=rows)
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    else:
        response = StreamingHttpResponse(_csv(header, rows), content_type="text/csv; charset=utf-8")
    clock = "-business-hours" if report.business else ""
    filename = f"{table}{clock}-{period.first.isoformat()}-{period.last.isoformat()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@admin_required
def report_live(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The live panel (admins): the backlog per queue and per agent with their presence, right
    now. Its script re-reads the panel (this view, as an htmx fragment) when the socket says a
    ticket or a presence changed: no polling."""
    context = {
        "queues": live_queues(),
        "agents": live_agents(status_of=lambda pk: presence_statuses_shown([pk])[pk]),
        "generated_at": timezone.now(),
    }
    if htmx_partial(request):
        return render(request, "reports/partials/_live.html", context)
    return render(request, "reports/live.html", context)


CONTACTS_SHOWN = 500


def _contacts(request: AuthenticatedHttpRequest) -> tuple[ContactReportForm, Any]:
    """The form and, when it is valid, the contacts it selects (else None)."""
    choices = report_filter_choices(user=request.user)
    form = ContactReportForm(request.GET, tags=choices.tags, states=sorted(AREA_CODES))
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    zone = ZoneInfo(current_tenant().time_zone)

    def local_midnight(day: Any) -> Any:
        return None if day is None else datetime.combine(day, time.min, tzinfo=zone)

    contacts = contacts_report(
        user=request.user,
        created_from=local_midnight(data.get("start")),
        created_before=local_midnight(data["end"] + timedelta(days=1)) if data.get("end") else None,
        tag_ids=[data["tag"]] if data.get("tag") else [],
        states=[data["state"]] if data.get("state") else [],
        search=data.get("q") or "",
    )
    return form, contacts


@login_required
def report_contacts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The contacts report: a printable list (the first ``CONTACTS_SHOWN``; the CSV has all)
    and the count per state, of the contacts the user may see."""
    form, contacts = _contacts(request)
    if contacts is None:
        return render(request, "reports/contacts.html", {"form": form}, status=400)
    rows = list(contacts[: CONTACTS_SHOWN + 1])
    context = {
        "form": form,
        "contacts": rows[:CONTACTS_SHOWN],
        "more": len(rows) > CONTACTS_SHOWN,
        "total": contacts.count(),
        "per_state": contacts_per_state(contacts),
        "query": request.GET.urlencode(),
        "generated_at": timezone.now(),
    }
    return render(request, "reports/contacts.html", context)


@login_required
def report_contacts_export(
    request: AuthenticatedHttpRequest,
) -> HttpResponse | StreamingHttpResponse:
    """Every contact of the contacts report as CSV, streamed."""
    form, contacts = _contacts(request)
    if contacts is None:
        return render(request, "reports/contacts.html", {"form": form}, status=400)
    header = [_("Name"), _("Phone"), _("E-mail"), _("Tags")]
    rows = (
        [contact.name, contact.phone, contact.email, ", ".join(t.name for t in contact.tags.all())]
        for contact in contacts.iterator(chunk_size=500)
    )
    audit_record(
        "report.exported", actor=request.user, extra={"table": "contacts", "format": "csv"}
    )
    response = StreamingHttpResponse(_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="contacts-report.csv"'
    response["Cache-Control"] = "no-store"
    return response
