"""Settings shared by every environment; dev.py, test.py and prod.py only adjust them.

Everything that differs between machines is read from the environment (see ``.env.example``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from tiktickets.settings.environment import env_bool, env_int, env_list, env_str

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# =============================================================================
# GENERAL
# =============================================================================
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-insecure-secret-key-change-me-0123456789abcdef")
DEBUG = env_bool("DJANGO_DEBUG", False)
# Tenants live on <slug>.<BASE_DOMAIN>; the platform (super admin, webhooks) on BASE_DOMAIN.
TIKTICKETS_BASE_DOMAIN = env_str("TIKTICKETS_BASE_DOMAIN", "localhost")
ALLOWED_HOSTS = [TIKTICKETS_BASE_DOMAIN, f".{TIKTICKETS_BASE_DOMAIN}"] + env_list(
    "DJANGO_ALLOWED_HOSTS", []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
ROOT_URLCONF = "tiktickets.urls"
# The platform's audit log (public schema) keeps entries this many days; each tenant sets its
# own in its settings (audit_retention_days). Older entries are deleted daily.
AUDIT_PUBLIC_RETENTION_DAYS = env_int("AUDIT_PUBLIC_RETENTION_DAYS", 730)
# Live updates (realtime/): a socket is live while its last heartbeat is younger than the TTL
# (seconds); reconnecting sockets replay up to REPLAY_LIMIT missed events from a stream trimmed
# to about STREAM_LENGTH events per tenant.
REALTIME_PRESENCE_TTL = env_int("REALTIME_PRESENCE_TTL", 45)
REALTIME_STREAM_LENGTH = env_int("REALTIME_STREAM_LENGTH", 10000)
REALTIME_REPLAY_LIMIT = env_int("REALTIME_REPLAY_LIMIT", 1000)
# The one table of domain event subscribers (core/event_bus.py), imported lazily by name.
DOMAIN_EVENT_SUBSCRIBERS = "tiktickets.event_handlers.SUBSCRIBERS"
# Around the early subscribers of events delivered together (core.event_bus.Early): the live
# updates of an inbound batch are stored and sent together.
DOMAIN_EVENT_EARLY_CONTEXT = "realtime.broadcast.broadcasting_together"
PUBLIC_SCHEMA_URLCONF = "tiktickets.urls_public"
WSGI_APPLICATION = "tiktickets.wsgi.application"
ASGI_APPLICATION = "tiktickets.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:inbox"
LOGOUT_REDIRECT_URL = "accounts:login"

# =============================================================================
# TENANCY (django-tenants: one PostgreSQL schema per tenant)
# =============================================================================
TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# Apps whose tables live in the public schema. accounts is in both lists: the public schema holds
# platform staff, every tenant schema holds that tenant's agents and admins.
SHARED_APPS = [
    # Before django_tenants so that our `create_tenant` command (the provisioning service)
    # replaces the library's.
    "tenants",
    "django_tenants",
    "daphne",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "accounts",
    "core",
    # In both lists: the public schema holds the platform's audit log, each tenant schema its own.
    "audit",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
]
# Apps whose tables exist once per tenant schema.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "accounts",
    "audit",
    "rest_framework_simplejwt.token_blacklist",
    "contacts",
    "connections",
    "tickets",
    "channels_integrations",
    "automation",
    "campaigns",
    "reports",
    "integrations",
    "privacy",
    "realtime",
    # Pages only (no models): both the tenant hosts' dashboard and the base domain's platform pages.
    "dashboard",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

MIDDLEWARE = [
    # /healthz answers on any host, before the tenant is resolved.
    "core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files need no tenant: served before the tenant lookup.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Resolves the tenant from the Host header and refuses suspended tenants; it comes before
    # anything that touches the database.
    "tenants.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Keeps the request at hand for the audit log (IP address, user agent, who acted).
    "audit.context.AuditRequestMiddleware",
    # Language and time zone from the user's preference, else the tenant's defaults.
    "tenants.middleware.TenantLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Where two-factor sign-in is required, users without it may only set it up.
    "dashboard.accounts.middleware.TwoFactorEnrolmentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # X-RateLimit-* headers on the answers to API-key requests (integrations/rate_limits.py).
    "integrations.rate_limits.RateLimitHeadersMiddleware",
]
# The layers that serve provider webhooks (paths under /webhooks/, core/wsgi.py): a provider's
# server posting a signed body, never a browser. Kept:
# - security: the HTTPS redirect and the same security headers on every answer;
# - tenant: the host's tenant and URLs (webhooks answer on the platform host only), unknown
#   hosts and suspended tenants' hosts refused as before;
# - common: the redirect of a path without its trailing slash, Content-Length;
# - tenant locale: the language of the error messages in 4xx bodies and Content-Language;
# - clickjacking: X-Frame-Options, as on every answer.
# Left out, each doing nothing for a webhook: the health check (answers /healthz only),
# WhiteNoise (/static/ only), sessions, CSRF (every webhook view is exempt: the provider's
# signature or secret is the check), authentication and two-factor enrolment (no user: no
# webhook view reads request.user), the audit request (the acknowledgement records no audit
# entry), messages (no page), htmx (no htmx request) and the rate-limit headers (API keys only).
WEBHOOK_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tenants.middleware.TenantLocaleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.tenant",
            ],
        },
    },
]

# =============================================================================
# DATABASES
# =============================================================================
DATABASES: dict[str, dict[str, Any]] = {
    "default": {
        "ENGINE": "core.db.postgresql",
        "NAME": env_str("POSTGRES_DB", "tiktickets"),
        "USER": env_str("POSTGRES_USER", "postgres"),
        "PASSWORD": env_str("POSTGRES_PASSWORD", ""),
        # A directory path selects a Unix socket (the embedded dev server uses one).
        "HOST": env_str("POSTGRES_HOST", "127.0.0.1"),
        "PORT": env_str("POSTGRES_PORT", "5432"),
        # Bounded lifetime: with many schemas every backend's catalog cache grows with each
        # tenant it touches, so connections are recycled.
        "CONN_MAX_AGE": env_int("POSTGRES_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": env_int("POSTGRES_CONNECT_TIMEOUT", 5)},
    }
}
# The websocket server (ASGI) must not keep persistent connections (Django's advice) but must not
# open one per call either (a new PostgreSQL connection costs 5-6 ms): POSTGRES_POOL_SIZE=N turns on
# psycopg's pool instead. django-tenants forgets the schema it set whenever a connection is
# closed (returned to the pool), so every checkout sets `search_path` again (tested).
POSTGRES_POOL_SIZE = env_int("POSTGRES_POOL_SIZE", 0)
if POSTGRES_POOL_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": POSTGRES_POOL_SIZE,
        "max_lifetime": env_int("POSTGRES_POOL_MAX_LIFETIME", 300),  # catalog memory recycling
        "timeout": env_int("POSTGRES_POOL_TIMEOUT", 10),
    }
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Issue `SET search_path` only when the schema changes, not before every query (django-tenants
# forgets the cached value on rollback and on every tenant switch).
TENANT_LIMIT_SET_CALLS = True

# =============================================================================
# REDIS: CACHE, CHANNEL LAYER
# =============================================================================
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        # Django's Redis cache without a client built per operation (core/redis_cache.py).
        "BACKEND": "core.redis_cache.KeptClientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "tt"),
        # Prefixes every key with the current schema, so tenants never share a cache entry.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}
CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
    "default": {
        # channels_redis with one reader of the process's key per daphne process, which hands
        # each group message to the process's sockets it names (realtime/channel_layer.py).
        "BACKEND": "realtime.channel_layer.ProcessChannelLayer",
        "CONFIG": {
            # redis-py 8 reads with a 5-second socket timeout by default, exactly the layer's
            # 5-second blocking receive (BZPOPMIN): every socket idle for 5 s would crash with
            # "Timeout reading" (close 1011). The read timeout must outlast the blocking call.
            "hosts": [
                {
                    "address": env_str("CHANNEL_LAYER_URL", REDIS_URL),
                    "socket_timeout": 30,
                    "socket_connect_timeout": 5,
                }
            ],
            "prefix": env_str("CHANNEL_LAYER_PREFIX", "tt-asgi"),
            # Sized on the fan-out bench (docs/performance.md, "Fan-out (P7)"). A group message
            # goes once to each daphne process (one Redis key per process, naming its sockets in
            # the group), so `capacity` bounds a process's backlog, and each socket's buffer in
            # the process. P7 is 10 events/s, one group message per event and process; the
            # burstiest writer is an inbound batch, up to 50 events at once to 2-3 groups each
            # (~150 messages): 1000 holds several such bursts, or 100 s of P7, before anything
            # is dropped, at ~20 KB a message for 250 sockets (20 MB at worst).
            "capacity": 1000,
            # A message waiting longer than this is dropped (a gap the socket cannot see). One
            # saturated daphne delayed events by up to 15 s at p99 on the loaded bench machine;
            # 60 s (channels_redis's default) leaves four times that.
            "expiry": 60,
            # A socket's group memberships are forgotten this long after they were last joined.
            # The inbox consumer joins its groups again every third of it (realtime/consumers.py),
            # so an agent's socket open for days keeps hearing its queues. Kept at a day
            # (channels_redis's default) while the web chat visitor's socket
            # (channels_integrations/consumers.py) joins its group only once; with that one
            # refreshed too, an hour would clear a dead daphne's members sooner.
            "group_expiry": 86400,
        },
    }
}

# =============================================================================
# CELERY (tenant-schemas-celery: a task runs in the schema it was enqueued from)
# =============================================================================
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
# A task is acknowledged only after it ran, and re-delivered if its worker dies mid-way.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Longer than the longest countdown/ETA we schedule plus the longest task, or Redis re-delivers
# a task that is still waiting or running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 7200)}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Separate queues so bulk work (campaigns, imports) never starves inbound messages and replies.
CELERY_TASK_QUEUES_NAMES = ("inbound", "replies", "default", "bulk")
# Where the pipeline tasks go even when a caller names no queue (their services name it too);
# `replies` has a worker of its own (docker-compose.yml), so replies never queue behind inbound.
CELERY_TASK_ROUTES = {
    "channels_integrations.tasks.inbound_event_process_task": {"queue": "inbound"},
    "channels_integrations.tasks.inbound_batches_process_task": {"queue": "inbound"},
    "channels_integrations.tasks.outbound_message_deliver_task": {"queue": "replies"},
    "channels_integrations.tasks.read_receipt_send_task": {"queue": "replies"},
}
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240

# =============================================================================
# AUTHENTICATION
# =============================================================================
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins (dashboard and API share the counters): lock an e-mail after this many failures,
# and an IP address after more, for the window below.
LOGIN_FAILURES_PER_EMAIL = env_int("LOGIN_FAILURES_PER_EMAIL", 5)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 30)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)
# "Forgot password" links: valid this long, single use; at most this many mails per e-mail
# address in the lockout window above (more requests get the same answer and no mail).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)
PASSWORD_RESET_REQUESTS_PER_EMAIL = env_int("PASSWORD_RESET_REQUESTS_PER_EMAIL", 3)
# Number of reverse proxies in front of the app whose X-Forwarded-For we trust (0: none).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
# Django's database sessions (each tenant's own table), the per-request read compiled once.
SESSION_ENGINE = "accounts.session_store"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# =============================================================================
# E-MAIL (password-reset links); development prints mails on the console (dev.py)
# =============================================================================
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "TikTickets <no-reply@localhost>")

# =============================================================================
# DRF AND JWT
# =============================================================================
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Integrators' keys ("Bearer tt_..."/X-Api-Key) first: a JWT is not a key and falls through.
        "integrations.authentication.ApiKeyAuthentication",
        "accounts.authentication.TenantJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    # DRF's JSONRenderer output, encoded by orjson (core/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY", SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "TikTickets API",
    "DESCRIPTION": "Multi-tenant omnichannel helpdesk. Call it on your tenant's host.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar's pinned copy in our static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No "valid" badge: Swagger UI would fetch it from the public validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # x-required-scope: the API-key scope of each operation (integrations/scopes.py).
        "integrations.schema.mark_required_scopes",
    ],
}

# =============================================================================
# INTEGRATIONS (API keys, send APIs, outbound webhooks)
# =============================================================================
# Requests per minute of one API key (unless the key sets its own) and of all the keys of a
# tenant together (unless the platform admin set the tenant's own).
API_KEY_RATE_LIMIT_PER_MINUTE = env_int("API_KEY_RATE_LIMIT_PER_MINUTE", 600)
API_TENANT_RATE_LIMIT_PER_MINUTE = env_int("API_TENANT_RATE_LIMIT_PER_MINUTE", 3000)
# URLs integrators give us (media to download, webhook targets) may not reach internal
# addresses (integrations/safe_http.py); these networks (CIDR, comma-separated) are trusted
# anyway, e.g. an integrator's server on the same private network. Empty: none.
OUTBOUND_HTTP_ALLOWED_NETWORKS = env_list("OUTBOUND_HTTP_ALLOWED_NETWORKS", [])
# The compatible API's mediaUrl: largest file downloaded and the time allowed for it.
EXTERNAL_MEDIA_MAX_BYTES = env_int("EXTERNAL_MEDIA_MAX_BYTES", 16 * 1024 * 1024)
EXTERNAL_MEDIA_TIMEOUT_SECONDS = env_int("EXTERNAL_MEDIA_TIMEOUT_SECONDS", 15)
# Outbound webhooks: time allowed per attempt, and the back-off (base * 2^(attempt-1), capped,
# with jitter) between attempts for 24 hours. Waits up to WEBHOOK_TASK_RETRY_MAX_SECONDS are
# scheduled on the task; longer ones are picked up by the minute sweep.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 10)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600)
WEBHOOK_TASK_RETRY_MAX_SECONDS = env_int("WEBHOOK_TASK_RETRY_MAX_SECONDS", 300)

# =============================================================================
# I18N
# =============================================================================
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Portuguese (Brazil)")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True

# =============================================================================
# STATIC FILES
# =============================================================================
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# =============================================================================
# MEDIA (private: files are served only through views that check access)
# =============================================================================
# Tenant files live under MEDIA_ROOT/tenants/<schema>/... (tenants.tenancy.tenant_media_path).
# No MEDIA_URL route is ever mounted: nothing in this folder is public.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".media")))
# Where tenants' files live: "local" (MEDIA_ROOT, one machine's disk; `make run`) or "s3" (a
# private bucket on an S3-compatible store, shared by every app process on every machine;
# core/object_storage.py). The same names either way: tenants/<schema>/... is the key prefix.
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "local").strip().lower()
# How long a signed link to a file stays valid (object store only): each page view asks the app
# again, which checks access again, so it only needs to outlive the browser's fetch.
MEDIA_URL_EXPIRY_SECONDS = env_int("MEDIA_URL_EXPIRY_SECONDS", 60)
if MEDIA_STORAGE == "s3":
    _MEDIA_BACKEND: dict[str, Any] = {
        "BACKEND": "core.object_storage.PrivateMediaStorage",
        "OPTIONS": {
            "bucket_name": env_str("MEDIA_S3_BUCKET"),
            # Empty: AWS S3 itself. MinIO and other stores: their URL as the app reaches it.
            "endpoint_url": env_str("MEDIA_S3_ENDPOINT_URL", "") or None,
            # Where browsers reach the store, when not at MEDIA_S3_ENDPOINT_URL.
            "public_endpoint_url": env_str("MEDIA_S3_PUBLIC_ENDPOINT_URL", ""),
            "region_name": env_str("MEDIA_S3_REGION", "us-east-1"),
            # Empty: boto3's own chain (instance role, AWS_* variables, ~/.aws).
            "access_key": env_str("MEDIA_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("MEDIA_S3_SECRET_ACCESS_KEY", "") or None,
            # "path" for MinIO and most self-hosted stores; "virtual" (or "auto") for AWS.
            "addressing_style": env_str("MEDIA_S3_ADDRESSING_STYLE", "auto"),
            "querystring_expire": MEDIA_URL_EXPIRY_SECONDS,
        },
    }
elif MEDIA_STORAGE == "local":
    _MEDIA_BACKEND = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'local' or 's3', not {MEDIA_STORAGE!r}.")
STORAGES = {
    "default": _MEDIA_BACKEND,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Days an admin may download a contact's data export before the beat deletes its file.
PRIVACY_EXPORT_DAYS = env_int("PRIVACY_EXPORT_DAYS", 7)
# Uploads above this size are written to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# =============================================================================
# PROVIDERS
# =============================================================================
# Meta Graph API (WhatsApp Cloud API, Messenger, Instagram), version included. Meta supports each
# version for about two years: https://developers.facebook.com/docs/graph-api/changelog
META_GRAPH_API_URL = env_str("META_GRAPH_API_URL", "https://graph.facebook.com/v26.0").rstrip("/")
# The verify token of the platform's Meta callback (/webhooks/meta/): Meta's subscription
# handshake must name it (docs/meta-webhooks.md). Empty: every handshake is refused.
META_VERIFY_TOKEN = env_str("META_VERIFY_TOKEN", "")

# =============================================================================
# CHANNELS (provider connections, webhooks, inbound and outbound pipelines)
# =============================================================================
# Fernet keys that encrypt channel credentials at rest, comma-separated, newest first (the first
# encrypts, all decrypt). Empty: derived from SECRET_KEY (development and tests only; the prod
# settings require it). connections/crypto.py.
CREDENTIALS_ENCRYPTION_KEY = env_str("CREDENTIALS_ENCRYPTION_KEY", "")
# Public base URL of the platform host, where providers post webhooks (/webhooks/...). Telegram
# accepts only HTTPS on ports 443, 80, 88 or 8443.
WEBHOOK_BASE_URL = env_str("WEBHOOK_BASE_URL", f"https://{TIKTICKETS_BASE_DOMAIN}").rstrip("/")
# Inbound media: files above this size, or of a type outside tickets.media.ALLOWED_MIME_TYPES, are
# not downloaded; the message is stored with a media error instead.
CHANNEL_MEDIA_MAX_BYTES = env_int("CHANNEL_MEDIA_MAX_BYTES", 16 * 1024 * 1024)
# E-mail connections (docs/email.md): a mail larger than this is not downloaded (quarantined);
# more than EMAIL_SENDER_MAX_PER_HOUR mails of one sender in an hour are set aside (a loop); each
# connection's mailbox job lasts EMAIL_WATCH_SECONDS (IDLE, else a poll every
# EMAIL_POLL_SECONDS) and is started again every minute. EMAIL_CHANNEL_ALLOW_PLAINTEXT accepts
# servers without TLS (only for a mail server on the same machine).
EMAIL_MAX_BYTES = env_int("EMAIL_MAX_BYTES", 25 * 1024 * 1024)
EMAIL_SENDER_MAX_PER_HOUR = env_int("EMAIL_SENDER_MAX_PER_HOUR", 30)
EMAIL_WATCH_SECONDS = env_int("EMAIL_WATCH_SECONDS", 50)
EMAIL_POLL_SECONDS = env_int("EMAIL_POLL_SECONDS", 10)
EMAIL_CHANNEL_ALLOW_PLAINTEXT = env_bool("EMAIL_CHANNEL_ALLOW_PLAINTEXT", False)
# Outbound delivery: provider attempts before a message is marked failed, and the back-off base
# and cap in seconds (base * 2^(attempt-1), capped, with jitter).
OUTBOUND_MAX_ATTEMPTS = env_int("OUTBOUND_MAX_ATTEMPTS", 6)
OUTBOUND_RETRY_BASE_SECONDS = env_int("OUTBOUND_RETRY_BASE_SECONDS", 5)
OUTBOUND_RETRY_MAX_SECONDS = env_int("OUTBOUND_RETRY_MAX_SECONDS", 600)
# The sweeper re-enqueues inbound events and outbound deliveries left waiting this many minutes
# (their task was lost, e.g. during a broker outage).
CHANNEL_SWEEP_AFTER_MINUTES = env_int("CHANNEL_SWEEP_AFTER_MINUTES", 5)
# How long a worker holds a delivery it is sending; a worker killed mid-send leaves the row
# claimed this long before another may take it (longer than any provider call's timeout).
OUTBOUND_CLAIM_SECONDS = env_int("OUTBOUND_CLAIM_SECONDS", 120)
# Campaigns (campaigns.sending): one sender works on a campaign at a time and holds it this many
# seconds (renewed while it sends; a killed worker's campaign is taken over after it); a recipient
# claimed longer than CAMPAIGN_CLAIM_SECONDS ago by a sender that died is never sent again (it may
# have reached the customer) but marked failed; each sender task runs at most
# CAMPAIGN_RUN_SECONDS before it hands the bulk worker over to other campaigns.
CAMPAIGN_RUNNER_LEASE_SECONDS = env_int("CAMPAIGN_RUNNER_LEASE_SECONDS", 30)
CAMPAIGN_CLAIM_SECONDS = env_int("CAMPAIGN_CLAIM_SECONDS", 120)
CAMPAIGN_RUN_SECONDS = env_int("CAMPAIGN_RUN_SECONDS", 20)
# Telegram Bot API base URL (a local simulator in tests and benchmarks).
TELEGRAM_API_BASE_URL = env_str("TELEGRAM_API_BASE_URL", "https://api.telegram.org")
# WhatsApp by QR code: the Evolution API v2 gateway (its base URL and its global API key,
# AUTHENTICATION_API_KEY in the gateway's own environment). Empty: the channel cannot connect.
EVOLUTION_API_URL = env_str("EVOLUTION_API_URL", "").rstrip("/")
EVOLUTION_API_KEY = env_str("EVOLUTION_API_KEY", "")

# =============================================================================
# LOGGING
# =============================================================================
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request URL at INFO, and Telegram's URLs carry the bot token.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Refused security-relevant attempts (tenants/audit.py), kept whatever LOG_LEVEL says;
        # they reach the root's handlers.
        "tiktickets.audit": {"level": "INFO"},
    },
}
