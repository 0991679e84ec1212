"""Admin pages of integrations under /manage/: API keys (create, see the secret once,
revoke)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.requests import AuthenticatedHttpRequest
from connections.models import ChannelConnection
from core.exceptions import ApplicationError
from dashboard.decorators import admin_required
from dashboard.htmx import form_add_service_error
from dashboard.manage.integration_forms import ApiKeyForm
from integrations.errors import ApiKeyNotFound
from integrations.models import ApiKey
from integrations.selectors import api_key_get, api_keys_list
from integrations.services.api_keys import api_key_create, api_key_revoke


def _key_or_404(public_id: str) -> ApiKey:
    try:
        return api_key_get(public_id=public_id)
    except ApiKeyNotFound as exc:
        raise Http404 from exc


@admin_required
def api_key_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The tenant's keys and a form to create one; a created key's secret is shown once, on
    the answer to the form."""
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        connection = None
        if data["connection"]:
            connection = ChannelConnection.objects.filter(public_id=data["connection"]).first()
        try:
            key, secret = api_key_create(
                by=request.user,
                name=data["name"],
                scopes=form.scopes(),
                connection=connection,
                expires_at=data["expires_at"],
                allowed_ips=form.ip_lines(),
                rate_limit_per_minute=data["rate_limit_per_minute"],
            )
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            context = {"section": "api-keys", "key": key, "secret": secret}
            return render(request, "integrations/manage/api_key_created.html", context)
    context: dict[str, Any] = {"section": "api-keys", "keys": api_keys_list(), "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "integrations/manage/api_keys.html", context, status=status)


@admin_required
def api_key_revoke_confirm(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """GET: asks for confirmation. POST: the key is refused from its next request on."""
    key = _key_or_404(public_id)
    if request.method == "POST":
        api_key_revoke(api_key=key, by=request.user)
        messages.success(request, _("API key %(name)s revoked.") % {"name": key.name})
        return redirect("manage:api-keys")
    context = {"section": "api-keys", "key": key}
    return render(request, "integrations/manage/api_key_revoke.html", context)
