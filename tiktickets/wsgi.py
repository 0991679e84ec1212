"""WSGI entry (gunicorn): all HTTP in production. Websockets go to daphne (asgi.py)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiktickets.settings.prod")

from core.wsgi import webhook_aware_application  # noqa: E402

# Provider webhooks go through their own, shorter middleware stack (core/wsgi.py).
application = webhook_aware_application()
