"""The compatible external API at /v1/api/external/ (tiktickets/urls.py)."""

from django.urls import URLPattern, path

from integrations.api import external_views

urlpatterns: list[URLPattern] = [
    path("<uuid:api_id>", external_views.ExternalSendApi.as_view(), name="external-send"),
    path(
        "<uuid:api_id>/", external_views.ExternalSendSlashApi.as_view(), name="external-send-slash"
    ),
    path(
        "<uuid:api_id>/start-session",
        external_views.ExternalStartSessionApi.as_view(),
        name="external-start-session",
    ),
]
