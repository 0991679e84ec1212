"""Campaign pages, under /manage/ (namespace ``manage``)."""

from django.urls import path

from dashboard.campaigns import views

urlpatterns = [
    path("campaigns/", views.campaign_list_page, name="campaigns"),
    path("campaigns/new/", views.campaign_edit_page, name="campaign-new"),
    path("campaigns/media/<uuid:public_id>/", views.campaign_media_file, name="campaign-media"),
    path("campaigns/<uuid:public_id>/", views.campaign_page, name="campaign"),
    path("campaigns/<uuid:public_id>/edit/", views.campaign_edit_page, name="campaign-edit"),
    path(
        "campaigns/<uuid:public_id>/<str:action>/",
        views.campaign_action,
        name="campaign-action",
    ),
]
