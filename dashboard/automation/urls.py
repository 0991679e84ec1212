"""Automation's admin pages, under /manage/ (namespace ``manage``)."""

from django.urls import path

from dashboard.automation import views

urlpatterns = [
    path("business-hours/", views.business_hours_edit, name="business-hours"),
    path("business-hours/queues/<int:pk>/", views.business_hours_edit, name="business-hours-queue"),
    path(
        "business-hours/queues/<int:pk>/reset/",
        views.business_hours_queue_reset,
        name="business-hours-queue-reset",
    ),
]
