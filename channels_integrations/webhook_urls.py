"""Provider webhooks under /webhooks/ on the platform host (included by tiktickets/urls_public.py).

Shared-URL providers have their own path here (``meta/``: WhatsApp Cloud, Messenger, Instagram)
with a view that calls ``channels_integrations.views.shared_webhook_response``.
"""

from django.urls import URLPattern, URLResolver, path

from channels_integrations import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("meta/", views.meta_webhook, name="meta-webhook"),
    path("<slug:provider>/<str:token>/", views.connection_webhook, name="connection-webhook"),
]
