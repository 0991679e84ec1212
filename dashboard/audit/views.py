"""The audit log pages: a tenant's at /manage/audit/ (its admins) and the platform's at
/platform/audit/ (platform staff). Both read the log of the schema they are served from, so a
tenant's admins never see the platform's entries nor another tenant's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import action_label, object_type_label
from audit.models import AuditEntry
from audit.selectors import AuditFilters, InvalidCursor, audit_entries_for_export, audit_page
from audit.services import audit_record
from contacts.csv_io import csv_lines
from dashboard.audit.forms import AuditFilterForm
from dashboard.decorators import admin_required
from dashboard.platform.views import platform_staff_required
from tenants.tenancy import current_tenant, in_public_schema, tenant_scope

PAGE_SIZE = 50


def _zone() -> tzinfo:
    """Dates are read in the tenant's time zone; the platform's in the active one."""
    if in_public_schema():
        return timezone.get_current_timezone()
    return ZoneInfo(current_tenant().time_zone)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _row(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the page shows it: readable names and each change as before → after."""
    return {
        "entry": entry,
        "action": action_label(entry.action),
        "object_type": object_type_label(entry.object_type) if entry.object_type else "",
        "changes": [
            (field, _shown(change.get("before")), _shown(change.get("after")))
            for field, change in sorted(entry.changes.items())
            if isinstance(change, dict)
        ],
        "extra": [(key, _shown(value)) for key, value in sorted(entry.extra.items())],
    }


def _log(request: HttpRequest, *, template: str, export: str) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "section": "audit", "export_url": export}
    if request.GET and not form.is_valid():
        return render(request, template, {**context, "rows": []}, status=400)
    filters = form.filters(_zone()) if form.is_bound else AuditFilters()
    try:
        page = audit_page(filters, after=request.GET.get("after") or None, size=PAGE_SIZE)
    except InvalidCursor:
        context["cursor_error"] = _("This page link is not valid any more; start again.")
        return render(request, template, {**context, "rows": []}, status=400)
    query = request.GET.copy()
    query.pop("after", None)
    context.update(
        zone=_zone(),
        rows=[_row(entry) for entry in page.entries],
        next_cursor=page.next_cursor,
        query=query.urlencode(),
        first_page=not request.GET.get("after"),
    )
    return render(request, template, context)


def _export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            json.dumps(
                {
                    "code": "validation_error",
                    "message": _("Invalid filters."),
                    "extra": {"fields": form.errors.get_json_data()},
                }
            ),
            status=400,
            content_type="application/json",
        )
    zone = _zone()
    filters = form.filters(zone)
    # The export is itself an entry of the log it exports (written before the rows are read,
    # so it is part of the file when the filters match it).
    audit_record("audit.exported", extra={"filters": request.GET.dict()})
    header = [
        "created_at",
        "action",
        "actor_kind",
        "actor_id",
        "actor",
        "object_type",
        "object_id",
        "object",
        "changes",
        "extra",
        "ip",
        "user_agent",
    ]

    tenant = current_tenant()

    def rows() -> Iterator[list[str]]:
        # The body is produced after the view returns, possibly on another thread (ASGI):
        # the generator enters the schema itself.
        with tenant_scope(tenant):
            yield from _export_rows(filters, zone)

    response = StreamingHttpResponse(
        csv_lines(rows(), header=header), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _export_rows(filters: AuditFilters, zone: tzinfo) -> Iterator[list[str]]:
    for entry in audit_entries_for_export(filters):
        yield [
            timezone.localtime(entry.created_at, zone).isoformat(timespec="seconds"),
            entry.action,
            entry.actor_kind,
            entry.actor_id,
            entry.actor_label,
            entry.object_type,
            entry.object_id,
            entry.object_label,
            json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
            json.dumps(entry.extra, ensure_ascii=False, sort_keys=True),
            entry.ip or "",
            entry.user_agent,
        ]


@admin_required
def tenant_audit_log(request: HttpRequest) -> HttpResponse:
    """The tenant's audit log, filtered and paged (admins)."""
    return _log(request, template="audit/manage_log.html", export="manage:audit-export")


@admin_required
def tenant_audit_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The tenant's audit log as CSV, with the page's filters (admins; audited)."""
    return _export(request)


@platform_staff_required
def platform_audit_log(request: HttpRequest) -> HttpResponse:
    """The platform's audit log: platform staff's actions (public schema only)."""
    return _log(request, template="audit/platform_log.html", export="platform:audit-export")


@platform_staff_required
def platform_audit_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The platform's audit log as CSV (audited)."""
    return _export(request)
