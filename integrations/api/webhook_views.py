"""Webhook subscriptions under /api/v1/webhooks/ (admins, or keys with ``webhooks`` scopes):
create (the secret is in the answer), change, delete, rotate the secret, send a test event,
read the delivery log and redeliver."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from core.pagination import KeysetPagination
from integrations.api.serializers import (
    WebhookCreateInputSerializer,
    WebhookDeliveryOutputSerializer,
    WebhookEventTypeOutputSerializer,
    WebhookOutputSerializer,
    WebhookRedeliverInputSerializer,
    WebhookRedeliverOutputSerializer,
    WebhookSecretOutputSerializer,
    WebhookUpdateInputSerializer,
)
from integrations.selectors import (
    webhook_deliveries_list,
    webhook_delivery_get,
    webhook_get,
    webhooks_list,
)
from integrations.services import webhooks as services
from integrations.webhook_events import EVENT_TYPES


class WebhookEventTypesApi(APIView):
    """GET: every event type a subscription may name."""

    @extend_schema(
        operation_id="webhooks_event_types",
        responses={200: WebhookEventTypeOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        rows = [
            {"name": e.name, "format": e.format, "description": str(e.description)}
            for e in EVENT_TYPES.values()
        ]
        return Response(rows)


class WebhookListApi(APIView):
    """GET: the subscriptions. POST: subscribe a URL (its signing secret is in the answer)."""

    @extend_schema(
        operation_id="webhooks_list", responses={200: WebhookOutputSerializer(many=True)}
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        return Response(WebhookOutputSerializer(webhooks_list(), many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        request=WebhookCreateInputSerializer,
        responses={201: WebhookSecretOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        admin = require_admin(request.user)
        data = WebhookCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription, secret = services.webhook_create(by=admin, **data.validated_data)
        body = dict(WebhookOutputSerializer(subscription).data, secret=secret)
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    """GET one subscription; PATCH it (``is_active: true`` switches it on again); DELETE it."""

    @extend_schema(operation_id="webhooks_get", responses={200: WebhookOutputSerializer})
    def get(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        require_admin(request.user)
        return Response(WebhookOutputSerializer(webhook_get(public_id=public_id)).data)

    @extend_schema(
        operation_id="webhooks_update",
        request=WebhookUpdateInputSerializer,
        responses={200: WebhookOutputSerializer},
    )
    def patch(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        require_admin(request.user)
        data = WebhookUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.webhook_update(
            subscription=webhook_get(public_id=public_id), **data.validated_data
        )
        return Response(WebhookOutputSerializer(subscription).data)

    @extend_schema(operation_id="webhooks_delete", responses={204: None})
    def delete(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        require_admin(request.user)
        services.webhook_delete(subscription=webhook_get(public_id=public_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(APIView):
    """POST: a new secret signs from now on; the old one also signs for 24 hours."""

    @extend_schema(
        operation_id="webhooks_rotate_secret",
        request=None,
        responses={200: WebhookSecretOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        require_admin(request.user)
        subscription = webhook_get(public_id=public_id)
        secret = services.webhook_secret_rotate(subscription=subscription)
        return Response(dict(WebhookOutputSerializer(subscription).data, secret=secret))


class WebhookTestApi(APIView):
    """POST: send a ``ping`` event now."""

    @extend_schema(
        operation_id="webhooks_test", request=None, responses={202: WebhookDeliveryOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        require_admin(request.user)
        delivery = services.webhook_test_send(subscription=webhook_get(public_id=public_id))
        return Response(
            WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )


class DeliveryPagination(KeysetPagination):
    ordering = ("-created_at", "-id")


class WebhookDeliveriesApi(APIView):
    """GET: the delivery log, newest first, each delivery with its attempts."""

    pagination_class = DeliveryPagination

    @extend_schema(
        operation_id="webhooks_deliveries",
        responses={200: WebhookDeliveryOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        require_admin(request.user)
        subscription = webhook_get(public_id=public_id)
        paginator = DeliveryPagination()
        page = paginator.paginate_queryset(
            webhook_deliveries_list(subscription=subscription), request, view=self
        )
        rows = WebhookDeliveryOutputSerializer(page or [], many=True).data
        return paginator.get_paginated_response(rows)


class WebhookRedeliverApi(APIView):
    """POST ``{since, until}``: redeliver every failed delivery created in that range."""

    @extend_schema(
        operation_id="webhooks_redeliver_failed",
        request=WebhookRedeliverInputSerializer,
        responses={202: WebhookRedeliverOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        require_admin(request.user)
        data = WebhookRedeliverInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.webhook_redeliver_failed(
            subscription=webhook_get(public_id=public_id), **data.validated_data
        )
        return Response({"redelivered": count}, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryRedeliverApi(APIView):
    """POST: send this delivery's event again (a new delivery, same event id and body)."""

    @extend_schema(
        operation_id="webhooks_delivery_redeliver",
        request=None,
        responses={202: WebhookDeliveryOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: UUID, delivery_id: UUID) -> Response:
        require_admin(request.user)
        subscription = webhook_get(public_id=public_id)
        delivery = webhook_delivery_get(subscription=subscription, public_id=delivery_id)
        copy = services.webhook_redeliver(delivery=delivery)
        return Response(WebhookDeliveryOutputSerializer(copy).data, status=status.HTTP_202_ACCEPTED)
