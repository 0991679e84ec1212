"""Websocket URL routes (all under /ws/ on a tenant host)."""

from django.urls import path

from realtime.consumers import InboxConsumer

websocket_urlpatterns = [path("ws/", InboxConsumer.as_asgi())]
