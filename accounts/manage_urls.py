"""Admin pages of the accounts app (mounted under /manage/); the users pages live in tickets
(their services manage queue membership too)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
