"""Admin pages for queues, quick replies and the tenant's settings (under /manage/)."""

from django.urls import path

from core.views import placeholder

urlpatterns = [
    path("queues/", placeholder, name="queues"),
    path("quick-replies/", placeholder, name="quick-replies"),
    path("settings/", placeholder, name="settings"),
]
