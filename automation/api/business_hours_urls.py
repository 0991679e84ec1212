from django.urls import path

from automation.api import business_hours_views as views

urlpatterns = [
    path("business-hours/", views.BusinessHoursApi.as_view(), name="business-hours"),
    path(
        "business-hours/queues/<int:pk>/",
        views.QueueBusinessHoursApi.as_view(),
        name="business-hours-queue",
    ),
]
