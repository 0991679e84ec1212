"""The helpdesk API under /api/v1/: each subdomain keeps its own routes."""

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("tickets.api.ticket_urls")),
    path("", include("tickets.api.message_urls")),
    path("", include("tickets.api.queue_urls")),
    path("", include("tickets.api.agent_urls")),
    path("", include("tickets.api.quick_reply_urls")),
    path("", include("tickets.api.settings_urls")),
]
