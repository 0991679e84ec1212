"""The reports pages: /reports/, its CSV exports and the live panel."""

from django.urls import path

from dashboard.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_dashboard, name="dashboard"),
    path("export/<slug:table>.csv", views.report_export, name="export"),
    path("live/", views.report_live, name="live"),
]
