"""The agent's inbox and ticket panel (dashboard), one `tickets` namespace for both modules."""

from django.urls import URLPattern, URLResolver

from tickets import inbox_urls, panel_urls

app_name = "tickets"
urlpatterns: list[URLPattern | URLResolver] = [
    *inbox_urls.urlpatterns,
    *panel_urls.urlpatterns,
]
