"""Integrations under /api/v1/ (included by tiktickets/urls.py): API keys, the send API,
webhook subscriptions and their delivery log."""

from django.urls import URLPattern, URLResolver, path

from integrations.api import key_views, send_views, webhook_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("messages/send/", send_views.MessageSendApi.as_view(), name="messages-send"),
    path("api-keys/", key_views.ApiKeyListApi.as_view(), name="api-key-list"),
    path("api-keys/<uuid:public_id>/", key_views.ApiKeyDetailApi.as_view(), name="api-key-detail"),
    path(
        "api-keys/<uuid:public_id>/revoke/",
        key_views.ApiKeyRevokeApi.as_view(),
        name="api-key-revoke",
    ),
    path(
        "webhooks/event-types/",
        webhook_views.WebhookEventTypesApi.as_view(),
        name="webhook-event-types",
    ),
    path("webhooks/", webhook_views.WebhookListApi.as_view(), name="webhook-list"),
    path(
        "webhooks/<uuid:public_id>/",
        webhook_views.WebhookDetailApi.as_view(),
        name="webhook-detail",
    ),
    path(
        "webhooks/<uuid:public_id>/rotate-secret/",
        webhook_views.WebhookRotateSecretApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<uuid:public_id>/test/",
        webhook_views.WebhookTestApi.as_view(),
        name="webhook-test",
    ),
    path(
        "webhooks/<uuid:public_id>/deliveries/",
        webhook_views.WebhookDeliveriesApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/<uuid:public_id>/redeliver/",
        webhook_views.WebhookRedeliverApi.as_view(),
        name="webhook-redeliver",
    ),
    path(
        "webhooks/<uuid:public_id>/deliveries/<uuid:delivery_id>/redeliver/",
        webhook_views.WebhookDeliveryRedeliverApi.as_view(),
        name="webhook-delivery-redeliver",
    ),
]
