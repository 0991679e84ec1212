"""Provider webhook endpoints on the platform host (public schema).

Each view only hands the request to ``inbound_webhook_receive`` and renders its outcome: 200
with the counts, or the error's ``{code, message, extra}`` (403, 404, 400). Providers re-send
anything that is not a 2xx, so a redelivery or an item we ignore is still answered 200.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from channels_integrations.errors import WebhookForbidden
from channels_integrations.services.inbound import inbound_webhook_receive
from channels_integrations.services.meta_webhook import (
    meta_delivery_of,
    meta_subscription_challenge,
)
from core.exceptions import ApplicationError, error_body


def webhook_response(
    request: HttpRequest,
    *,
    provider_key: str,
    route_key: str | None,
    envelope_keys: Sequence[str] = (),
) -> HttpResponse:
    """Receive one delivery and answer it (shared by the per-connection and shared views)."""
    try:
        receipt = inbound_webhook_receive(
            provider_key=provider_key,
            request=request,
            route_key=route_key,
            envelope_keys=envelope_keys,
        )
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse(
        {"stored": receipt.stored, "duplicates": receipt.duplicates, "ignored": receipt.ignored}
    )


def shared_webhook_response(
    request: HttpRequest, *, provider_key: str, envelope_keys: Sequence[str]
) -> HttpResponse:
    """For a provider's own view on a shared URL (Meta): route each item by its account."""
    return webhook_response(
        request, provider_key=provider_key, route_key=None, envelope_keys=envelope_keys
    )


@csrf_exempt
@require_POST
def connection_webhook(request: HttpRequest, provider: str, token: str) -> HttpResponse:
    """``POST /webhooks/<provider>/<token>/``: a per-connection webhook URL (Telegram)."""
    return webhook_response(request, provider_key=provider, route_key=token)


def _error(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.message, exc.extra), status=exc.http_status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest) -> HttpResponse:
    """``/webhooks/meta/``: Meta's subscription handshake (GET) and every delivery of the
    app's WhatsApp, Messenger and Instagram accounts (POST, routed by account)."""
    if request.method == "GET":
        challenge = meta_subscription_challenge(request.GET)
        if challenge is None:
            return _error(WebhookForbidden())
        return HttpResponse(challenge, content_type="text/plain")
    try:
        provider_key, envelope_keys = meta_delivery_of(request.body)
    except ApplicationError as exc:
        return _error(exc)
    return shared_webhook_response(request, provider_key=provider_key, envelope_keys=envelope_keys)
