"""Tests: real PostgreSQL, Redis and channel layer; only the password hasher is faster."""

from pathlib import Path

from tiktickets.settings.base import *  # noqa: F403
from tiktickets.settings.environment import env_str

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Redis database 15 and their own prefixes keep test keys away from a developer's `make run`.
REDIS_URL = env_str("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = "tt-test"  # noqa: F405
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"] = REDIS_URL  # noqa: F405
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "tt-test-asgi"  # noqa: F405
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
MEDIA_ROOT = Path(env_str("TEST_MEDIA_ROOT", "/tmp/tiktickets-test-media"))  # noqa: S108
# Media on the local disk unless MEDIA_STORAGE says otherwise; the media tests run on both
# backends (core/tests/conftest.py starts an S3-compatible server on loopback for them).
STORAGES = {
    "default": STORAGES["default"],  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# A domain event subscriber that fails makes the test fail (production logs and goes on).
DOMAIN_EVENTS_STRICT = True
# The e-mail tests' IMAP and SMTP servers listen on loopback without TLS.
EMAIL_CHANNEL_ALLOW_PLAINTEXT = True
