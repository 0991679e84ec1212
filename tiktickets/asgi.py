"""ASGI entry (daphne): websockets in production; HTTP too in `make run`.

Websockets are routed first, then each route has its stack (tiktickets/routing.py). Agents'
``/ws/``, outermost first: Origin must be the Host → tenant from the Host header → cookies →
session (read from the tenant's schema) → user from session or tenant-bound JWT. The web chat
visitor's ``/ws/widget/<id>/`` stops after the tenant: its token is checked by the consumer.
Each layer is ours or Channels'; see tenants/asgi.py and accounts/asgi.py.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiktickets.settings.prod")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: these modules touch models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from core.collector import server_process_warmed  # noqa: E402
from tiktickets.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)

# Everything loaded so far (Django, the apps, the URL confs) lives as long as the process: moved
# out of the collector's reach, so a full collection walks only what sockets and events create
# (on a daphne serving 500 sockets a full collection took 250-317 ms, docs/performance.md), and
# full collections made rarer (core/collector.py).
server_process_warmed()
