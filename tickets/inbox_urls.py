"""The inbox list: tabs, scopes, filters, search, rows (in the `tickets` namespace)."""

from django.urls import path

from core.views import placeholder

urlpatterns = [
    path("", placeholder, name="inbox"),
]
