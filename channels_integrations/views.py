"""Provider webhook endpoints on the platform host (public schema).

Each view only hands the request to ``inbound_webhook_receive`` and renders its outcome: 200
with the counts, or the error's ``{code, message, extra}`` (403, 404, 400). Providers re-send
anything that is not a 2xx, so a redelivery or an item we ignore is still answered 200.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_integrations.services.inbound import inbound_webhook_receive
from core.exceptions import ApplicationError, error_body


def webhook_response(
    request: HttpRequest, *, provider_key: str, route_key: str | None
) -> HttpResponse:
    """Receive one delivery and answer it (shared by the per-connection and shared views)."""
    try:
        receipt = inbound_webhook_receive(
            provider_key=provider_key, request=request, route_key=route_key
        )
    except ApplicationError as exc:
        return JsonResponse(error_body(exc.code, exc.message, exc.extra), status=exc.http_status)
    return JsonResponse(
        {"stored": receipt.stored, "duplicates": receipt.duplicates, "ignored": receipt.ignored}
    )


def shared_webhook_response(request: HttpRequest, *, provider_key: str) -> HttpResponse:
    """For a provider's own view on a shared URL (Meta): route each item by its account."""
    return webhook_response(request, provider_key=provider_key, route_key=None)


@csrf_exempt
@require_POST
def connection_webhook(request: HttpRequest, provider: str, token: str) -> HttpResponse:
    """``POST /webhooks/<provider>/<token>/``: a per-connection webhook URL (Telegram)."""
    return webhook_response(request, provider_key=provider, route_key=token)
