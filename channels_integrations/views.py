"""Provider webhook endpoints on the platform host (public schema).

Each view only hands the request to ``inbound_webhook_receive`` and renders its outcome: 200
with the counts, or the error's ``{code, message, extra}`` (403, 404, 400, 413). Providers
re-send anything that is not a 2xx, so a redelivery or an item we ignore is still answered 200.

Bodies we refuse (docs/inbound.md): over the endpoint's byte limit (413, checked before the
body is read), not JSON or nested deeper than ``core.json_bodies.JSON_MAX_DEPTH`` (400
``malformed_json``), in both cases with nothing stored. A correctly signed body is refused
the same way rather than acknowledged and quarantined: providers never send such a body, so it
can only be forged with a leaked secret or broken in transit, and a provider that gets a 4xx
retries a few times and gives up, which loses nothing legitimate.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from channels_integrations.errors import WebhookForbidden
from channels_integrations.services.email_webhook import email_webhook_receive
from channels_integrations.services.inbound import inbound_webhook_receive
from channels_integrations.services.meta_webhook import (
    meta_delivery_of,
    meta_subscription_challenge,
)
from core.exceptions import ApplicationError, error_body
from core.json_bodies import body_within

# Meta documents webhook payloads of up to 3 MB (batched events of one app):
# https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
META_WEBHOOK_MAX_BYTES = 3 * 1024 * 1024
# Per-connection URLs (Telegram): one update each, a few kilobytes (a text is at most 4,096
# characters); 1 MiB leaves room for any documented update.
WEBHOOK_MAX_BYTES = 1024 * 1024


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
    """``POST /webhooks/<provider>/<token>/``: a per-connection webhook URL (Telegram). The
    provider checks the secret on the raw body before parsing it."""
    try:
        body_within(request, max_bytes=WEBHOOK_MAX_BYTES)
    except ApplicationError as exc:
        return _error(exc)
    return webhook_response(request, provider_key=provider, route_key=token)


@csrf_exempt
@require_POST
def email_webhook(request: HttpRequest, token: str) -> HttpResponse:
    """``POST /webhooks/email/<token>/``: an e-mail connection's inbound deliveries through
    Mailgun (a whole mail, attachments included: up to ``EMAIL_MAX_BYTES``)."""
    try:
        body_within(request, max_bytes=settings.EMAIL_MAX_BYTES)
        receipt = email_webhook_receive(request=request, token=token)
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse({"stored": receipt.stored, "duplicates": receipt.duplicates})


def _error(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.message, exc.extra), status=exc.http_status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest) -> HttpResponse:
    """``/webhooks/meta/``: Meta's subscription handshake (GET) and every delivery of the
    app's WhatsApp, Messenger and Instagram accounts (POST, routed by account).

    The signature's key is the app secret of the account the body names, so the envelope is
    parsed (size-capped, depth-limited, no database) before the signature is checked; nothing
    is stored before it is."""
    if request.method == "GET":
        challenge = meta_subscription_challenge(request.GET)
        if challenge is None:
            return _error(WebhookForbidden())
        return HttpResponse(challenge, content_type="text/plain")
    try:
        provider_key, envelope_keys = meta_delivery_of(
            body_within(request, max_bytes=META_WEBHOOK_MAX_BYTES)
        )
    except ApplicationError as exc:
        return _error(exc)
    return shared_webhook_response(request, provider_key=provider_key, envelope_keys=envelope_keys)
