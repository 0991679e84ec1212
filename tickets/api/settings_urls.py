from django.urls import URLPattern, URLResolver, path

from tickets.api import settings_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("settings/", views.TenantSettingsApi.as_view(), name="tenant-settings"),
]
