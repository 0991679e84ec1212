"""Websocket URL routes (all under /ws/ on a tenant host)."""

from django.urls import path

from channels_integrations.consumers import VisitorConsumer
from realtime.consumers import InboxConsumer

websocket_urlpatterns = [
    path("ws/", InboxConsumer.as_asgi()),
    path("ws/widget/<uuid:public_id>/", VisitorConsumer.as_asgi()),
]
