"""ASGI entry (daphne): websockets in production; HTTP too in `make run`.

The websocket stack, outermost first: Origin must be the Host → tenant from the Host header →
cookies → session (read from the tenant's schema) → user from session or tenant-bound JWT →
routes. Each layer is ours or Channels'; see tenants/asgi.py and accounts/asgi.py.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiktickets.settings.prod")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: these modules touch models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.asgi import tenant_auth_stack  # noqa: E402
from tiktickets.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": tenant_auth_stack(URLRouter(websocket_urlpatterns)),
    }
)
