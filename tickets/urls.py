"""The agent's inbox and ticket panel (dashboard)."""

from django.urls import path

from core.views import placeholder

app_name = "tickets"
urlpatterns = [
    path("", placeholder, name="inbox"),
]
