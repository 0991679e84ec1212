"""The inbox list: tabs, scopes, filters, search, rows (in the `tickets` namespace)."""

from django.urls import path

from tickets import inbox_views

urlpatterns = [
    path("", inbox_views.inbox, name="inbox"),
    path("inbox/rows/<uuid:ticket_id>/", inbox_views.inbox_row, name="inbox-row"),
    path("inbox/counts/", inbox_views.inbox_counts, name="inbox-counts"),
]
