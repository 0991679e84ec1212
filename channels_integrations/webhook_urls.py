"""Provider webhooks under /webhooks/ on the platform host (included by tiktickets/urls_public.py).

Shared-URL providers add their own path here (``meta/``) with a view that calls
``channels_integrations.views.shared_webhook_response``.
"""

from django.urls import URLPattern, URLResolver, path

from channels_integrations import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:provider>/<str:token>/", views.connection_webhook, name="connection-webhook"),
]
