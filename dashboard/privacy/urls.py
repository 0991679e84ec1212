"""Data rights pages under /manage/privacy/ (namespace ``manage``)."""

from django.urls import path

from dashboard.privacy import views

urlpatterns = [
    path("privacy/", views.privacy_page, name="privacy"),
    path("privacy/log/", views.privacy_log, name="privacy-log"),
    path(
        "privacy/contacts/<uuid:public_id>/export/",
        views.privacy_contact_export,
        name="privacy-export",
    ),
    path(
        "privacy/contacts/<uuid:public_id>/erase/",
        views.privacy_contact_erase,
        name="privacy-erase",
    ),
    path(
        "privacy/<uuid:public_id>/download/",
        views.privacy_export_download,
        name="privacy-download",
    ),
]
