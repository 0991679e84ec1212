"""Local development: debug on, console e-mail."""

from tiktickets.settings.base import *  # noqa: F403

DEBUG = True
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# daphne serves HTTP in `make run`; Django's docs advise against persistent connections under ASGI.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# WhiteNoise serves static files straight from the app folders (no collectstatic in development).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
