"""Admin pages for users (mounted under /manage/ in the `manage` namespace)."""

from django.urls import path

from core.views import placeholder

urlpatterns = [
    path("users/", placeholder, name="users"),
]
