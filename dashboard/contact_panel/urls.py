"""The contact side panel next to a ticket: edit, tags, attributes, owners, previous tickets,
merge. Every route is keyed by the ticket, whose visibility decides who may use it."""

from django.urls import path

from dashboard.contact_panel import views

app_name = "contact_panel"
urlpatterns = [
    path("<uuid:ticket_id>/", views.contact_panel_show, name="show"),
    path("<uuid:ticket_id>/details/", views.contact_panel_details, name="details"),
    path("<uuid:ticket_id>/notes/", views.contact_panel_notes, name="notes"),
    path("<uuid:ticket_id>/tags/", views.contact_panel_tags, name="tags"),
    path("<uuid:ticket_id>/attributes/", views.contact_panel_attributes, name="attributes"),
    path("<uuid:ticket_id>/owners/", views.contact_panel_owners, name="owners"),
    path("<uuid:ticket_id>/block/", views.contact_panel_block, name="block"),
    path("<uuid:ticket_id>/unblock/", views.contact_panel_unblock, name="unblock"),
    path("<uuid:ticket_id>/merge/", views.contact_panel_merge, name="merge"),
    path("<uuid:ticket_id>/merge/search/", views.contact_panel_merge_search, name="merge-search"),
    path(
        "<uuid:ticket_id>/merge/confirm/", views.contact_panel_merge_confirm, name="merge-confirm"
    ),
]
