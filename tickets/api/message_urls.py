from django.urls import URLPattern, URLResolver, path

from tickets.api import message_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "tickets/<uuid:public_id>/messages/",
        views.TicketMessagesApi.as_view(),
        name="ticket-messages",
    ),
    path("tickets/<uuid:public_id>/notes/", views.TicketNoteAddApi.as_view(), name="ticket-notes"),
    path("messages/<uuid:public_id>/", views.MessageDetailApi.as_view(), name="message-detail"),
    path(
        "messages/<uuid:public_id>/forward/",
        views.MessageForwardApi.as_view(),
        name="message-forward",
    ),
    path(
        "messages/<uuid:public_id>/reactions/",
        views.MessageReactionsApi.as_view(),
        name="message-reactions",
    ),
    path(
        "messages/<uuid:public_id>/cancel-schedule/",
        views.MessageScheduleCancelApi.as_view(),
        name="message-cancel-schedule",
    ),
    path("messages/<uuid:public_id>/edits/", views.MessageEditsApi.as_view(), name="message-edits"),
    path("messages/<uuid:public_id>/media/", views.MessageMediaApi.as_view(), name="message-media"),
]
