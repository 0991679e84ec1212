"""The flow builder (/manage/flows/): the list of flows and the editor of one.

The list and the flow's settings are ordinary forms; the editor posts the graph as JSON to
``flow_save`` (a new version, validated by the service: its problems come back with the node
and field they name) and to ``flow_try`` (the test run). Every write goes through the
automation services, as the REST API's do.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedHttpRequest
from accounts.selectors import users_active
from automation import services
from automation.errors import FlowNotFound, FlowVersionNotFound
from automation.models import Flow, FlowMedia
from automation.selectors.flows import flow_get, flow_version_get, flows_list
from connections.selectors import connection_choices
from core.exceptions import ApplicationError, FieldValidationError, error_body
from dashboard.decorators import admin_required
from dashboard.flows.forms import FlowCreateForm, FlowSettingsForm
from dashboard.flows.texts import builder_text
from dashboard.htmx import form_add_service_error
from tickets.models import Queue

VERSIONS_SHOWN = 20


def _flow(public_id: Any) -> Flow:
    try:
        return flow_get(public_id=public_id)
    except FlowNotFound as exc:
        raise Http404 from exc


def _error(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.message, exc.extra), status=exc.http_status)


def _json_body(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise FieldValidationError({"body": [_("Send a JSON object.")]}) from exc
    if not isinstance(body, dict):
        raise FieldValidationError({"body": [_("Send a JSON object.")]})
    return body


@admin_required
def flow_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The tenant's flows; POST creates one (one empty step) and opens it in the editor."""
    form = FlowCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flow = services.flow_create(by=request.user, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Flow created."))
            return redirect("manage:flow-edit", flow.public_id)
    context = {"section": "flows", "flows": list(flows_list()), "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "flows/list.html", context, status=status)


@admin_required
@require_POST
def flow_duplicate(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    copy = services.flow_duplicate(flow=_flow(public_id), by=request.user)
    messages.success(request, _("Flow duplicated as %(name)s.") % {"name": copy.name})
    return redirect("manage:flows")


@admin_required
@require_POST
def flow_delete(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    flow = _flow(public_id)
    services.flow_delete(flow=flow, by=request.user)
    messages.success(request, _("Flow %(name)s deleted.") % {"name": flow.name})
    return redirect("manage:flows")


def _settings_initial(flow: Flow) -> dict[str, Any]:
    return {
        "name": flow.name,
        "is_active": flow.is_active,
        "is_default": flow.is_default,
        "connections": [str(link.connection.public_id) for link in flow.connection_links.all()],
        "test_contacts": "\n".join(flow.test_contacts),
    }


def _builder_data(flow: Flow) -> dict[str, Any]:
    """What the editor's script needs: the current graph and what its actions may name."""
    return {
        "graph": flow.current_version.graph if flow.current_version else None,
        "version": flow.current_version.number if flow.current_version else None,
        "queues": [
            {"id": q.pk, "name": q.name}
            for q in Queue.objects.filter(is_active=True).order_by("name").only("pk", "name")
        ],
        "agents": [
            {"id": u.pk, "name": u.name or u.email} for u in users_active().order_by("name")
        ],
        "media": [
            {"id": str(m.public_id), "name": m.name}
            for m in FlowMedia.objects.order_by("-created_at").only("public_id", "name")[:200]
        ],
    }


@admin_required
def flow_edit(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """The editor (canvas and list view of the steps, test run, versions) and the flow's
    settings form, which POSTs here."""
    flow = _flow(public_id)
    choices = [(str(c.public_id), c.name) for c in connection_choices()]
    form = FlowSettingsForm(
        request.POST or None, initial=_settings_initial(flow), connections=choices
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.flow_update(
                flow=flow,
                by=request.user,
                name=data["name"],
                is_active=data["is_active"],
                is_default=data["is_default"],
                test_contacts=data["test_contacts"],
                connection_ids=data["connections"],
            )
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Flow settings saved."))
            return redirect("manage:flow-edit", flow.public_id)
    context = {
        "section": "flows",
        "flow": flow,
        "form": form,
        "builder": _builder_data(flow),
        "text": builder_text(),
        "versions": list(
            flow.versions.select_related("created_by").order_by("-number")[:VERSIONS_SHOWN]
        ),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "flows/edit.html", context, status=status)


@admin_required
@require_POST
def flow_save(request: AuthenticatedHttpRequest, public_id: str) -> JsonResponse:
    """JSON ``{graph, note}``: the graph as the flow's new version; 400 ``flow_invalid`` with
    ``extra.errors`` (node, field, message) and nothing stored when it is not valid."""
    flow = _flow(public_id)
    try:
        body = _json_body(request)
        version = services.flow_graph_save(
            flow=flow, by=request.user, graph=body.get("graph"), note=str(body.get("note") or "")
        )
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse(
        {"version": version.number, "message": _("Saved as version %(n)s.") % {"n": version.number}}
    )


@admin_required
@require_POST
def flow_try(request: AuthenticatedHttpRequest, public_id: str) -> JsonResponse:
    """JSON ``{graph, state, text}``: what the bot would answer (nothing stored or sent). The
    graph is the editor's, saved or not; it must be valid to run."""
    _flow(public_id)
    try:
        body = _json_body(request)
        graph, state = body.get("graph"), body.get("state")
        if state is not None and not isinstance(state, dict):
            raise FieldValidationError({"state": [_("Not a step of this flow.")]})
        services.flow_graph_validate_or_raise(graph=graph)  # a valid graph is an object
        result = services.flow_test_run(
            graph=cast(dict[str, Any], graph), state=state, text=str(body.get("text") or "")
        )
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse(result)


@admin_required
@require_POST
def flow_rollback(request: AuthenticatedHttpRequest, public_id: str, number: int) -> HttpResponse:
    flow = _flow(public_id)
    try:
        version = flow_version_get(flow=flow, number=number)
    except FlowVersionNotFound as exc:
        raise Http404 from exc
    try:
        saved = services.flow_rollback(flow=flow, by=request.user, version=version)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Version %(old)s is current again, as version %(new)s.")
            % {"old": version.number, "new": saved.number},
        )
    return redirect("manage:flow-edit", flow.public_id)


@admin_required
@require_POST
def flow_media(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Multipart ``file``: a file a media step sends (the agents' type and size rules)."""
    file = request.FILES.get("file")
    if file is None:
        return _error(FieldValidationError({"file": [_("Choose a file.")]}))
    try:
        media = services.flow_media_upload(by=request.user, file=file)
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse({"id": str(media.public_id), "name": media.name}, status=201)
