"""Importing a flow of the original system (/manage/flows/import/) and exporting one back.

Two steps: the JSON (a file or pasted) is read and nothing is stored; the confirmation screen
lists every queue and user id the JSON names with a select of this account's queues and users
(the one of the same name pre-selected, or "none"), and only its POST creates the flow,
inactive, for the admin to check in the editor. The JSON travels in a hidden field between
the two steps.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthenticatedHttpRequest
from accounts.selectors import users_active
from automation import services
from automation.errors import FlowInvalid, FlowNotFound
from automation.selectors.flows import flow_get
from core.exceptions import ApplicationError
from dashboard.decorators import admin_required
from dashboard.flows.forms import (
    FlowImportConfirmForm,
    FlowImportForm,
    target_field,
)
from dashboard.htmx import form_add_service_error
from tickets.models import Queue


def _confirm_form(data: Any, flow: Any, **kwargs: Any) -> FlowImportConfirmForm:
    """The confirmation form for ``flow`` (the parsed JSON): one select per id it names,
    offering only this account's active queues and users."""
    return FlowImportConfirmForm(
        data,
        targets=services.flow_import_targets(data=flow),
        queues=list(
            Queue.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
        ),
        users=[(u.pk, u.name or u.email) for u in users_active().order_by("name", "email")],
        **kwargs,
    )


def _summary(flow: dict[str, Any]) -> dict[str, int]:
    nodes = [n for n in flow.get("nodeList") or [] if isinstance(n, dict)]
    steps = [n for n in nodes if n.get("type") == "node"]
    options = sum(len(n.get("conditions") or []) for n in steps if isinstance(n, dict))
    return {"steps": len(steps), "options": options}


def _render_confirm(
    request: AuthenticatedHttpRequest,
    form: FlowImportConfirmForm,
    flow: dict[str, Any],
    problems: list[str],
    status: int,
) -> HttpResponse:
    context = {
        "section": "flows",
        "form": form,
        "queue_fields": form.target_fields("queues"),
        "user_fields": form.target_fields("users"),
        "summary": _summary(flow),
        "problems": problems,
    }
    return render(request, "flows/import_confirm.html", context, status=status)


@admin_required
def flow_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1: the JSON. A valid one shows the confirmation screen (nothing stored yet)."""
    form = FlowImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        flow = form.cleaned_data["flow"]
        try:
            confirm = _confirm_form(
                None,
                flow,
                initial={"name": form.cleaned_data["name"], "flow_json": json.dumps(flow)},
            )
        except ApplicationError as exc:  # not a {nodeList, lineList} flow
            form_add_service_error(form, exc)
        else:
            return _render_confirm(request, confirm, flow, [], 200)
    status = 400 if request.method == "POST" else 200
    return render(request, "flows/import.html", {"section": "flows", "form": form}, status=status)


@admin_required
@require_POST
def flow_import_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 2: the admin's choices; creates the flow (inactive) and opens it in the editor.
    Any refusal shows the screen again with the error next to its select."""
    try:
        flow = json.loads(request.POST.get("flow_json") or "")
        form = _confirm_form(request.POST, flow)
    except (ValueError, ApplicationError):
        messages.error(request, _("The flow's JSON was lost on the way: upload it again."))
        return redirect("manage:flow-import")
    problems: list[str] = []
    if form.is_valid():
        try:
            created = services.flow_import_mapped(
                by=request.user,
                name=form.cleaned_data["name"],
                data=flow,
                queues=form.mapping("queues"),
                users=form.mapping("users"),
            )
        except FlowInvalid as exc:
            problems = [str(e.get("message", "")) for e in exc.extra.get("errors", [])]
        except ApplicationError as exc:
            form_add_service_error(form, _fields_renamed(exc))
        else:
            messages.success(
                request,
                _("Flow imported. It is paused: check it, then activate it in its settings."),
            )
            return redirect("manage:flow-edit", created.public_id)
    return _render_confirm(request, form, flow, problems, 400)


def _fields_renamed(exc: ApplicationError) -> ApplicationError:
    """The service names ``queues.<id>``; the form's selects are ``queues__<id>``."""
    fields = exc.extra.get("fields")
    if isinstance(fields, dict):
        renamed = {}
        for name, errors in fields.items():
            kind, _dot, original = str(name).partition(".")
            renamed[target_field(kind, original) if original else name] = errors
        exc.extra["fields"] = renamed
    return exc


@admin_required
@require_GET
def flow_export(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """The flow's current steps as the original system's JSON, as a file to download."""
    try:
        flow = flow_get(public_id=public_id)
    except FlowNotFound as exc:
        raise Http404 from exc
    response = JsonResponse(
        services.flow_export(flow=flow), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    filename = f"{slugify(flow.name) or 'flow'}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
