"""The reports pages: /reports/, its CSV and XLSX exports and the live panel."""

from django.urls import path

from dashboard.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_dashboard, name="dashboard"),
    path("export/<slug:table>.csv", views.report_export, name="export"),
    path(
        "export/<slug:table>.xlsx",
        views.report_export,
        {"extension": "xlsx"},
        name="export-xlsx",
    ),
    path("live/", views.report_live, name="live"),
    path("contacts/", views.report_contacts, name="contacts"),
    path("contacts.csv", views.report_contacts_export, name="contacts-export"),
]
