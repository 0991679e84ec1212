"""WSGI entry (gunicorn): all HTTP in production. Websockets go to daphne (asgi.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiktickets.settings.prod")

application = get_wsgi_application()
