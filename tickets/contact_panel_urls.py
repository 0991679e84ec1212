"""The contact side panel next to a ticket: edit, tags, attributes, owners, previous tickets,
merge."""

from django.urls import path

from core.views import placeholder

app_name = "contact_panel"
urlpatterns = [
    path("<uuid:ticket_id>/", placeholder, name="show"),
]
