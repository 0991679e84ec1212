"""The campaigns API under /api/v1/campaigns/."""

from django.urls import path

from campaigns.api import views

urlpatterns = [
    path("campaigns/", views.CampaignListApi.as_view(), name="campaigns"),
    path("campaigns/media/", views.CampaignMediaUploadApi.as_view(), name="campaigns-media"),
    path(
        "campaigns/media/<uuid:public_id>/",
        views.CampaignMediaDownloadApi.as_view(),
        name="campaigns-media-file",
    ),
    path(
        "campaigns/audience-preview/",
        views.AudiencePreviewApi.as_view(),
        name="campaigns-audience-preview",
    ),
    path("campaigns/<uuid:public_id>/", views.CampaignDetailApi.as_view(), name="campaign"),
    path(
        "campaigns/<uuid:public_id>/audience/",
        views.CampaignAudienceApi.as_view(),
        name="campaign-audience",
    ),
    path(
        "campaigns/<uuid:public_id>/audience/file/",
        views.CampaignAudienceFileApi.as_view(),
        name="campaign-audience-file",
    ),
    path(
        "campaigns/<uuid:public_id>/start/",
        views.CampaignStartApi.as_view(),
        name="campaign-start",
    ),
    path(
        "campaigns/<uuid:public_id>/pause/",
        views.CampaignPauseApi.as_view(),
        name="campaign-pause",
    ),
    path(
        "campaigns/<uuid:public_id>/resume/",
        views.CampaignResumeApi.as_view(),
        name="campaign-resume",
    ),
    path(
        "campaigns/<uuid:public_id>/cancel/",
        views.CampaignCancelApi.as_view(),
        name="campaign-cancel",
    ),
    path(
        "campaigns/<uuid:public_id>/recipients/",
        views.CampaignRecipientListApi.as_view(),
        name="campaign-recipients",
    ),
    path(
        "campaigns/<uuid:public_id>/counts/",
        views.CampaignCountsApi.as_view(),
        name="campaign-counts",
    ),
    path(
        "campaigns/<uuid:public_id>/report/",
        views.CampaignReportApi.as_view(),
        name="campaign-report",
    ),
]
