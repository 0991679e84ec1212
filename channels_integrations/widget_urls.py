"""The web chat widget on a tenant host (included under /widget/ by tiktickets/urls.py)."""

from django.urls import URLPattern, path

from channels_integrations import widget_views as views

urlpatterns: list[URLPattern] = [
    path("<uuid:public_id>.js", views.widget_loader, name="widget-loader"),
    path("<uuid:public_id>/", views.widget_page, name="widget-page"),
    path("<uuid:public_id>/try/", views.widget_try, name="widget-try"),
    path("<uuid:public_id>/avatar", views.widget_avatar, name="widget-avatar"),
    path("<uuid:public_id>/api/start", views.widget_start, name="widget-start"),
    path("<uuid:public_id>/api/messages", views.widget_messages, name="widget-messages"),
    path(
        "<uuid:public_id>/api/media/<uuid:message_id>",
        views.widget_media,
        name="widget-media",
    ),
]
