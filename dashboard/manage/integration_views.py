"""Admin pages of integrations under /manage/: API keys (create, see the secret once,
revoke) and webhook subscriptions (create, switch on and off, rotate the secret, send a test
event, the delivery log with redelivery, delete)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedHttpRequest
from connections.models import ChannelConnection
from core.exceptions import ApplicationError
from dashboard.decorators import admin_required
from dashboard.htmx import form_add_service_error
from dashboard.manage.integration_forms import ApiKeyForm, RedeliverRangeForm, WebhookForm
from integrations.errors import ApiKeyNotFound, WebhookDeliveryNotFound, WebhookNotFound
from integrations.models import ApiKey, WebhookSubscription
from integrations.selectors import (
    api_key_get,
    api_keys_list,
    webhook_deliveries_list,
    webhook_delivery_get,
    webhook_get,
    webhooks_disabled,
    webhooks_list,
)
from integrations.services.api_keys import api_key_create, api_key_revoke
from integrations.services.webhooks import (
    webhook_create,
    webhook_delete,
    webhook_redeliver,
    webhook_redeliver_failed,
    webhook_secret_rotate,
    webhook_test_send,
    webhook_update,
)


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
            created = {"section": "api-keys", "key": key, "secret": secret}
            return render(request, "integrations/manage/api_key_created.html", created)
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


# ---------------------------------------------------------------- webhooks

DELIVERY_LOG_LENGTH = 50


def _webhook_or_404(public_id: str) -> WebhookSubscription:
    try:
        return webhook_get(public_id=public_id)
    except WebhookNotFound as exc:
        raise Http404 from exc


def _secret_page(
    request: AuthenticatedHttpRequest, subscription: WebhookSubscription, secret: str
) -> HttpResponse:
    context = {"section": "webhooks", "subscription": subscription, "secret": secret}
    return render(request, "integrations/manage/webhook_secret.html", context)


@admin_required
def webhook_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Subscriptions (with a notice for those switched off after failing) and a form to add
    one; the new subscription's secret is shown on the answer."""
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription, secret = webhook_create(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            return _secret_page(request, subscription, secret)
    context = {
        "section": "webhooks",
        "subscriptions": webhooks_list(),
        "disabled": webhooks_disabled(),
        "form": form,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "integrations/manage/webhooks.html", context, status=status)


@admin_required
def webhook_detail(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """A subscription, its actions and its latest deliveries with every attempt."""
    subscription = _webhook_or_404(public_id)
    deliveries = webhook_deliveries_list(subscription=subscription)[:DELIVERY_LOG_LENGTH]
    context = {
        "section": "webhooks",
        "subscription": subscription,
        "deliveries": deliveries,
        "range_form": RedeliverRangeForm(),
    }
    return render(request, "integrations/manage/webhook_detail.html", context)


@admin_required
@require_POST
def webhook_action(request: AuthenticatedHttpRequest, public_id: str, action: str) -> HttpResponse:
    """Switch on or off, send a test event, rotate the secret (shown once), redeliver the
    failures of a time range."""
    subscription = _webhook_or_404(public_id)
    if action in ("enable", "disable"):
        webhook_update(subscription=subscription, is_active=action == "enable")
        messages.success(request, _("Subscription saved."))
    elif action == "test":
        webhook_test_send(subscription=subscription)
        messages.success(request, _("Test event queued; see it in the log below."))
    elif action == "rotate":
        secret = webhook_secret_rotate(subscription=subscription)
        return _secret_page(request, subscription, secret)
    elif action == "redeliver":
        form = RedeliverRangeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give a valid time range."))
        else:
            count = webhook_redeliver_failed(subscription=subscription, **form.cleaned_data)
            messages.success(request, _("%(count)d deliveries queued again.") % {"count": count})
    else:
        raise Http404
    return redirect("manage:webhook", public_id=subscription.public_id)


@admin_required
@require_POST
def webhook_delivery_redeliver(
    request: AuthenticatedHttpRequest, public_id: str, delivery_id: str
) -> HttpResponse:
    subscription = _webhook_or_404(public_id)
    try:
        delivery = webhook_delivery_get(subscription=subscription, public_id=delivery_id)
    except WebhookDeliveryNotFound as exc:
        raise Http404 from exc
    webhook_redeliver(delivery=delivery)
    messages.success(request, _("Delivery queued again."))
    return redirect("manage:webhook", public_id=subscription.public_id)


@admin_required
def webhook_delete_confirm(request: AuthenticatedHttpRequest, public_id: str) -> HttpResponse:
    """GET: asks for confirmation. POST: the subscription and its log are deleted."""
    subscription = _webhook_or_404(public_id)
    if request.method == "POST":
        webhook_delete(subscription=subscription)
        messages.success(request, _("Subscription %(name)s deleted.") % {"name": subscription.name})
        return redirect("manage:webhooks")
    context = {"section": "webhooks", "subscription": subscription}
    return render(request, "integrations/manage/webhook_delete.html", context)
