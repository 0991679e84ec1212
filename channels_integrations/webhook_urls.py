"""Provider webhooks under /webhooks/ on the platform host (included by tiktickets/urls_public.py).

Shared-URL providers have their own path here (``meta/``: WhatsApp Cloud, Messenger, Instagram)
with a view that calls ``channels_integrations.views.shared_webhook_response``.
"""

from django.urls import URLPattern, URLResolver, path

from channels_integrations import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("meta/", views.meta_webhook, name="meta-webhook"),
    # E-mail connections receiving through Mailgun (multipart form bodies, checked by anymail).
    path("email/<slug:token>/", views.email_webhook, name="email-webhook"),
    # Tokens are URL-safe slugs (secrets.token_urlsafe); the routing table's other keys
    # (``bot:<id>``) are not, so no URL reaches them.
    path("<slug:provider>/<slug:token>/", views.connection_webhook, name="connection-webhook"),
]
