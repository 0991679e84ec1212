"""Channel connections under /api/v1/ (included by tiktickets/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from channels_integrations.api import template_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("connections/", views.ConnectionListApi.as_view(), name="connections"),
    path("connections/<uuid:public_id>/", views.ConnectionDetailApi.as_view(), name="connection"),
    path(
        "connections/<uuid:public_id>/enable/",
        views.ConnectionEnableApi.as_view(),
        name="connection-enable",
    ),
    path(
        "connections/<uuid:public_id>/disable/",
        views.ConnectionDisableApi.as_view(),
        name="connection-disable",
    ),
    path(
        "connections/<uuid:public_id>/check/",
        views.ConnectionCheckApi.as_view(),
        name="connection-check",
    ),
    path("templates/", template_views.TemplateListApi.as_view(), name="templates"),
    path("templates/sync/", template_views.TemplateSyncApi.as_view(), name="templates-sync"),
    path(
        "templates/<uuid:public_id>/", template_views.TemplateDetailApi.as_view(), name="template"
    ),
    path(
        "templates/<uuid:public_id>/send/",
        template_views.TemplateSendApi.as_view(),
        name="template-send",
    ),
]
