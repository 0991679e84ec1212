"""Admin pages for WhatsApp message templates (under /manage/templates/): each connection's
templates with status, language, category and parameters, a sync button, a form to submit a
new one for review, a detail page, and a confirmed delete."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedHttpRequest
from channels_integrations.errors import TemplateNotFound
from channels_integrations.models import MessageTemplate
from channels_integrations.selectors import connection_get, template_get, templates_list
from channels_integrations.services.templates import (
    TEMPLATE_PROVIDER,
    template_delete,
    template_parameter_label,
    template_parameters,
    template_render_text,
    template_submit,
    templates_sync,
)
from connections.errors import ConnectionNotFound
from connections.models import ChannelConnection
from core.exceptions import ApplicationError
from dashboard.decorators import admin_required
from dashboard.htmx import form_add_service_error
from dashboard.manage.template_forms import TemplateSubmitForm


def _template_or_404(request: AuthenticatedHttpRequest, public_id: UUID) -> MessageTemplate:
    try:
        return template_get(user=request.user, public_id=public_id)
    except TemplateNotFound as exc:
        raise Http404 from exc


@admin_required
def template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every WhatsApp Cloud connection with its templates; POST submits a new one."""
    connections = ChannelConnection.objects.filter(provider=TEMPLATE_PROVIDER).order_by("name")
    form = TemplateSubmitForm(request.POST or None, connections=connections)
    if request.method == "POST" and form.is_valid():
        try:
            created = template_submit(**form.service_values())
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Template %(name)s submitted: WhatsApp reviews it now.") % {"name": created.name},
            )
            return redirect("manage:template", public_id=created.public_id)
    rows = list(templates_list(user=request.user))
    groups = [
        {
            "connection": connection,
            "has_account": bool((connection.credentials or {}).get("business_account_id")),
            "templates": [
                (t, template_parameters(t)) for t in rows if t.connection_id == connection.pk
            ],
        }
        for connection in connections
    ]
    status = 400 if request.method == "POST" else 200
    context = {"section": "templates", "groups": groups, "form": form}
    return render(request, "channels_integrations/manage/templates.html", context, status=status)


@admin_required
@require_POST
def template_sync(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    try:
        connection = connection_get(public_id=public_id)
    except ConnectionNotFound as exc:
        raise Http404 from exc
    try:
        count = templates_sync(connection=connection)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d template read from WhatsApp for %(name)s.",
                "%(count)d templates read from WhatsApp for %(name)s.",
                count,
            )
            % {"count": count, "name": connection.name},
        )
    return redirect("manage:templates")


@admin_required
def template_detail(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    template = _template_or_404(request, public_id)
    parameters = template_parameters(template)
    preview = template_render_text(template, {p.key: p.example for p in parameters if p.example})
    context = {
        "section": "templates",
        "template": template,
        "parameters": [(template_parameter_label(p), p.example) for p in parameters],
        "preview": preview,
    }
    return render(request, "channels_integrations/manage/template_detail.html", context)


@admin_required
@require_POST
def template_remove(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    template = _template_or_404(request, public_id)
    try:
        template_delete(template=template)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("manage:template", public_id=template.public_id)
    messages.success(request, _("Template %(name)s deleted.") % {"name": template.name})
    return redirect("manage:templates")
