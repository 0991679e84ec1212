"""The ticket panel: history, composer, actions (in the `tickets` namespace)."""

from django.urls import path

from dashboard.ticket_panel import views

urlpatterns = [
    path("tickets/<uuid:ticket_id>/panel/", views.panel, name="panel"),
    path("tickets/<uuid:ticket_id>/header/", views.panel_header, name="panel-header"),
    path("tickets/<uuid:ticket_id>/history/", views.history, name="history"),
    path("tickets/<uuid:ticket_id>/messages/", views.message_create, name="message-create"),
    path(
        "tickets/<uuid:ticket_id>/template-messages/",
        views.template_message_create,
        name="template-message-create",
    ),
    path(
        "tickets/<uuid:ticket_id>/template-fields/", views.template_fields, name="template-fields"
    ),
    path(
        "tickets/<uuid:ticket_id>/template-preview/",
        views.template_preview,
        name="template-preview",
    ),
    path(
        "tickets/<uuid:ticket_id>/messages/<uuid:message_id>/",
        views.message_fragment,
        name="message",
    ),
    path(
        "tickets/<uuid:ticket_id>/messages/<uuid:message_id>/retry/",
        views.message_retry,
        name="message-retry",
    ),
    path(
        "tickets/<uuid:ticket_id>/messages/<uuid:message_id>/edit/",
        views.message_edit_view,
        name="message-edit",
    ),
    path(
        "tickets/<uuid:ticket_id>/messages/<uuid:message_id>/delete/",
        views.message_delete_view,
        name="message-delete",
    ),
    path(
        "tickets/<uuid:ticket_id>/messages/<uuid:message_id>/react/",
        views.message_react_view,
        name="message-react",
    ),
    path(
        "tickets/<uuid:ticket_id>/messages/<uuid:message_id>/forward/",
        views.message_forward_view,
        name="message-forward",
    ),
    path(
        "tickets/<uuid:ticket_id>/forward-targets/",
        views.forward_targets,
        name="forward-targets",
    ),
    path("tickets/<uuid:ticket_id>/scheduled/", views.scheduled_list, name="scheduled"),
    path(
        "tickets/<uuid:ticket_id>/scheduled/<uuid:message_id>/cancel/",
        views.scheduled_cancel,
        name="scheduled-cancel",
    ),
    path("tickets/<uuid:ticket_id>/quick-replies/", views.quick_replies, name="quick-replies"),
    path("tickets/<uuid:ticket_id>/<slug:action>/", views.ticket_action, name="action"),
]
