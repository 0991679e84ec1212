"""Routes of the reports API under /api/v1/reports/."""

from django.urls import path

from reports.api import views

urlpatterns = [
    path("reports/summary/", views.ReportSummaryApi.as_view(), name="reports-summary"),
    path("reports/series/", views.ReportSeriesApi.as_view(), name="reports-series"),
    path("reports/queues/", views.ReportQueuesApi.as_view(), name="reports-queues"),
    path("reports/agents/", views.ReportAgentsApi.as_view(), name="reports-agents"),
]
