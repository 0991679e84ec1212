"""Websocket URL routes (all under /ws/ on a tenant host)."""

from django.urls import path

from accounts.consumers import AgentConsumer

websocket_urlpatterns = [path("ws/", AgentConsumer.as_asgi())]
