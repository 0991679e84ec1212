"""Integrations under /api/v1/ (included by tiktickets/urls.py): API keys, the send API,
webhook subscriptions and their delivery log."""

from django.urls import URLPattern, URLResolver, path

from integrations.api import key_views, send_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("messages/send/", send_views.MessageSendApi.as_view(), name="messages-send"),
    path("api-keys/", key_views.ApiKeyListApi.as_view(), name="api-key-list"),
    path("api-keys/<uuid:public_id>/", key_views.ApiKeyDetailApi.as_view(), name="api-key-detail"),
    path(
        "api-keys/<uuid:public_id>/revoke/",
        key_views.ApiKeyRevokeApi.as_view(),
        name="api-key-revoke",
    ),
]
