"""Admin pages for channel connections: list with status, create per provider (credentials
checked by the provider), a page with what to paste elsewhere (webhook URL, the web chat's
script tag), check, enable, disable, delete. Credentials are write-only here."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest
from channels_integrations.providers.base import SESSION_OPEN
from channels_integrations.providers.registry import PROVIDERS, provider_for
from channels_integrations.selectors import (
    connection_get,
    connection_session_history,
    connections_list,
)
from channels_integrations.services.connections import (
    connection_check,
    connection_create,
    connection_delete,
    connection_disable,
    connection_enable,
    connection_update,
    connection_webhook_url,
)
from channels_integrations.services.sessions import (
    SESSION_ACTIONS,
    connection_qr_current,
    connection_session_action,
)
from channels_integrations.services.webchat_avatar import (
    webchat_avatar_get,
    webchat_avatar_remove,
    webchat_avatar_set,
)
from connections.crypto import CredentialsUnreadable
from connections.models import ChannelConnection
from connections.providers.registry import provider_installed, provider_label, providers_installed
from core.exceptions import ApplicationError
from dashboard.decorators import admin_required
from dashboard.htmx import form_add_service_error
from dashboard.manage.connection_forms import ConnectionForm
from tickets.errors import NotFoundInTenant
from tickets.models import Queue
from tickets.selectors.routing import connection_routing_get


def _add_error(form: ConnectionForm, exc: ApplicationError) -> None:
    """Credential errors come under ``extra.fields.credentials``: put them on their inputs."""
    fields = exc.extra.get("fields")
    nested = fields.get("credentials") if isinstance(fields, dict) else None
    if isinstance(nested, dict):
        for key, errors in nested.items():
            target = key if key in form.fields else None
            for error in errors if isinstance(errors, list) else [errors]:
                form.add_error(target, str(error))
        return
    form_add_service_error(form, exc)


@admin_required
def connection_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    connections = connections_list().order_by("name")
    context = {
        "section": "connections",
        "connections": connections,
        "providers": providers_installed(),
    }
    return render(request, "channels_integrations/manage/connections.html", context)


def _guide_template(provider: str) -> str | None:
    name = f"channels_integrations/manage/guides/{provider}.html"
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


@admin_required
def connection_new(request: AuthenticatedHttpRequest, provider: str) -> HttpResponse:
    if not provider_installed(provider) or not provider_for(provider).is_configured():
        raise Http404
    user = request.user
    form = ConnectionForm(request.POST or None, request.FILES or None, provider=provider)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            connection = connection_create(
                by=user,
                provider=provider,
                name=data["name"],
                credentials=form.credentials(),
                default_queue=Queue.objects.filter(pk=data["default_queue"]).first(),
                greeting_message=data["greeting_message"],
                farewell_message=data["farewell_message"],
            )
            _avatar_save(form, connection, user)
        except ApplicationError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Connection %(name)s created.") % {"name": connection.name})
            return redirect("manage:connection", public_id=connection.public_id)
    context = {
        "section": "connections",
        "form": form,
        "provider_label": provider_label(provider),
        # Where each value the form asks for comes from, one page per provider (none for a
        # provider that has no guide yet: the form works without it).
        "guide": _guide_template(provider),
    }
    status = 400 if form.errors else 200
    return render(
        request, "channels_integrations/manage/connection_form.html", context, status=status
    )


def _avatar_save(form: ConnectionForm, connection: ChannelConnection, user: User) -> None:
    """A web chat's new avatar (already checked by the form), when one was chosen."""
    upload = form.cleaned_data.get("avatar")
    if upload:
        webchat_avatar_set(connection=connection, by=user, upload=upload)


def _connection(public_id: UUID) -> ChannelConnection:
    try:
        return connection_get(public_id=public_id)
    except NotFoundInTenant as exc:
        raise Http404 from exc


@admin_required
def connection_detail(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """The connection's status, what to paste elsewhere, and its settings form."""
    user = request.user
    connection = _connection(public_id)
    routing = connection_routing_get(connection=connection)
    initial: dict[str, Any] = {
        "name": connection.name,
        "default_queue": routing.default_queue_id,
        "greeting_message": routing.greeting_message,
        "farewell_message": routing.farewell_message,
    }
    try:
        current = connection.credentials
    except CredentialsUnreadable:  # a lost key: the admin types them again
        current = {}
    form = ConnectionForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        provider=connection.provider,
        current_credentials=current,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        credentials = form.credentials()
        try:
            connection_update(
                connection=connection,
                by=user,
                name=data["name"],
                credentials=credentials or None,
                default_queue=Queue.objects.filter(pk=data["default_queue"]).first(),
                greeting_message=data["greeting_message"],
                farewell_message=data["farewell_message"],
            )
            _avatar_save(form, connection, user)
        except ApplicationError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Connection %(name)s saved.") % {"name": data["name"]})
            return redirect("manage:connection", public_id=connection.public_id)
    snippet = ""
    if connection.provider in PROVIDERS:
        base_url = request.build_absolute_uri("/").rstrip("/")
        snippet = provider_for(connection.provider).embed_snippet(connection, base_url=base_url)
    context = {
        "section": "connections",
        "connection": connection,
        "form": form,
        "webhook_url": connection_webhook_url(connection)
        if connection.provider != "webchat"
        else "",
        "snippet": snippet,
        "session": _session_context(connection),
        "avatar": webchat_avatar_get(connection),
    }
    status = 400 if form.errors else 200
    return render(
        request, "channels_integrations/manage/connection_detail.html", context, status=status
    )


def _session_context(connection: ChannelConnection) -> dict[str, Any] | None:
    """What the page shows of a QR-code connection's session: its state, the QR code now
    offered (with the seconds it has left), the phone once connected, and the history."""
    if (
        connection.provider not in PROVIDERS
        or not provider_for(connection.provider).pairs_by_session
    ):
        return None
    qr = connection_qr_current(connection_id=connection.pk)
    state = str(connection.details.get("session_state") or "")
    if qr is not None:
        qr["expires_in"] = max(int(qr["expires_at"] - timezone.now().timestamp()), 0)
    return {
        "state": state,
        "open": state == SESSION_OPEN,
        "qr": qr if state != SESSION_OPEN else None,
        "number": connection.details.get("number", ""),
        "profile_name": connection.details.get("profile_name", ""),
        "history": connection_session_history(connection=connection)[:20],
    }


def _session_action(
    request: AuthenticatedHttpRequest, connection: ChannelConnection, action: str
) -> None:
    try:
        connection_session_action(
            connection=connection,
            by=request.user,
            action=action,
            number=str(request.POST.get("number", "")),
        )
    except ApplicationError as exc:
        fields = exc.extra.get("fields")
        reasons = fields.get("number") if isinstance(fields, dict) else None
        messages.error(request, str(reasons[0]) if reasons else exc.message)
    else:
        messages.success(request, _(SESSION_ACTION_DONE[action]))


# What an admin reads once a session action was asked of the gateway.
SESSION_ACTION_DONE = {
    "reconnect": gettext_noop("Reconnecting: scan the new QR code (or type the pairing code)."),
    "restart": gettext_noop("The WhatsApp session is restarting."),
    "logout": gettext_noop("The phone was logged out."),
}

ACTIONS = {
    "check": connection_check,
    "enable": connection_enable,
    "disable": connection_disable,
}


@admin_required
@require_POST
def connection_action(
    request: AuthenticatedHttpRequest, public_id: UUID, action: str
) -> HttpResponse:
    """Check with the provider, enable, disable or delete; the outcome is a message."""
    connection = _connection(public_id)
    user = request.user
    try:
        if action == "delete":
            connection_delete(connection=connection, by=user)
            messages.success(request, _("Connection %(name)s deleted.") % {"name": connection.name})
            return redirect("manage:connections")
        if action == "remove-avatar":
            webchat_avatar_remove(connection=connection, by=user)
            messages.success(request, _("The chat's avatar was removed."))
            return redirect("manage:connection", public_id=connection.public_id)
        if action in SESSION_ACTIONS:
            _session_action(request, connection, action)
            return redirect("manage:connection", public_id=connection.public_id)
        if action not in ACTIONS:
            raise Http404
        updated = ACTIONS[action](connection=connection, by=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Status: %(status)s") % {"status": updated.get_status_display()}
        )
    return redirect("manage:connection", public_id=connection.public_id)
