"""Admin pages of integrations (under /manage/): API keys and webhooks."""

from django.urls import path

from dashboard.manage import integration_views as views

urlpatterns = [
    path("api-keys/", views.api_key_list, name="api-keys"),
    path("api-keys/<uuid:public_id>/revoke/", views.api_key_revoke_confirm, name="api-key-revoke"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/<uuid:public_id>/", views.webhook_detail, name="webhook"),
    path("webhooks/<uuid:public_id>/delete/", views.webhook_delete_confirm, name="webhook-delete"),
    path(
        "webhooks/<uuid:public_id>/deliveries/<uuid:delivery_id>/redeliver/",
        views.webhook_delivery_redeliver,
        name="webhook-delivery-redeliver",
    ),
    path("webhooks/<uuid:public_id>/<slug:action>/", views.webhook_action, name="webhook-action"),
]
