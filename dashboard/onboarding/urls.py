"""The getting-started checklist (under /onboarding/)."""

from django.urls import path

from dashboard.onboarding import views

app_name = "onboarding"
urlpatterns = [
    path("", views.onboarding_checklist, name="checklist"),
    path("dismiss/", views.onboarding_dismiss, name="dismiss"),
]
