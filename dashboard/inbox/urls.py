"""The inbox list: tabs, scopes, filters, search, rows (in the `tickets` namespace)."""

from django.urls import path

from dashboard.inbox import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox/rows/<uuid:ticket_id>/", views.inbox_row, name="inbox-row"),
    path("inbox/counts/", views.inbox_counts, name="inbox-counts"),
    path("inbox/bulk/", views.inbox_bulk, name="inbox-bulk"),
    path("inbox/unread/", views.inbox_unread, name="inbox-unread"),
    path("inbox/filters/", views.inbox_filter_save, name="inbox-filter-save"),
    path(
        "inbox/filters/<uuid:filter_id>/delete/",
        views.inbox_filter_delete,
        name="inbox-filter-delete",
    ),
]
