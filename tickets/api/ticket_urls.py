"""Routes of the tickets API under /api/v1/ (plus merging contacts, which moves tickets)."""

from django.urls import URLPattern, URLResolver, path

from core.deprecated_routes import deprecated_route
from tickets.api import ticket_views as views

_ACTIONS = [
    ("accept", views.TicketAcceptApi, "ticket-accept"),
    ("transfer", views.TicketTransferApi, "ticket-transfer"),
    ("return", views.TicketReturnApi, "ticket-return"),
    ("close", views.TicketCloseApi, "ticket-close"),
    ("reopen", views.TicketReopenApi, "ticket-reopen"),
    ("mark-read", views.TicketMarkReadApi, "ticket-mark-read"),
    ("tags", views.TicketTagsSetApi, "ticket-tags"),
    ("restore", views.TicketRestoreApi, "ticket-restore"),
    ("events", views.TicketEventsApi, "ticket-events"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("tickets/", views.TicketListApi.as_view(), name="ticket-list"),
    path("tickets/<uuid:public_id>/", views.TicketDetailApi.as_view(), name="ticket-detail"),
    *(
        path(f"tickets/<uuid:public_id>/{suffix}/", view.as_view(), name=name)
        for suffix, view, name in _ACTIONS
    ),
    path("conversations/", views.ConversationStartApi.as_view(), name="conversation-list"),
    path(
        "conversations/connections/",
        views.ConversationConnectionsApi.as_view(),
        name="conversation-connections",
    ),
    path("contacts/<uuid:public_id>/merge/", views.ContactMergeApi.as_view(), name="contact-merge"),
    # Deprecated for one release: DELETE tickets/<id>/ replaces it.
    path(
        "tickets/<uuid:public_id>/delete/",
        deprecated_route(
            views.TicketDetailApi, method="delete", successor="ticket-detail"
        ).as_view(),
        name="ticket-delete",
    ),
]
