"""Admin pages for channel connections (under /manage/)."""

from django.urls import path

from core.views import placeholder

urlpatterns = [
    path("connections/", placeholder, name="connections"),
]
