"""Admin pages for tags (under /manage/)."""

from django.urls import path

from core.views import placeholder

urlpatterns = [
    path("tags/", placeholder, name="tags"),
]
