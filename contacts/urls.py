"""The contacts pages of the dashboard: list, edit, import, export."""

from django.urls import path

from core.views import placeholder

app_name = "contacts"
urlpatterns = [
    path("", placeholder, name="list"),
]
