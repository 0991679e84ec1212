"""The automation API under /api/v1/."""

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("automation.api.business_hours_urls")),
    path("", include("automation.api.flow_urls")),
]
