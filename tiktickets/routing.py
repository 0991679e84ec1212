"""Websocket URL routes (all under /ws/ on a tenant host), each with its own stack.

Agents and integrators (``/ws/``) pass the full stack of ``accounts.asgi``: same-host Origin,
tenant, session or JWT. The web chat visitor (``/ws/widget/<id>/``) passes only the Origin and
tenant layers: an agent's session or JWT is never read there, the visitor token is the only
credential (channels_integrations/consumers.py).
"""

from django.urls import path

from accounts.asgi import tenant_auth_stack
from channels_integrations.consumers import VisitorConsumer
from realtime.consumers import InboxConsumer
from tenants.asgi import tenant_stack

websocket_urlpatterns = [
    path("ws/", tenant_auth_stack(InboxConsumer.as_asgi())),
    path("ws/widget/<uuid:public_id>/", tenant_stack(VisitorConsumer.as_asgi())),
]
