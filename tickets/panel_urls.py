"""The ticket panel: history, composer, actions (in the `tickets` namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
