"""Admin pages of integrations (under /manage/): API keys."""

from django.urls import path

from dashboard.manage import integration_views as views

urlpatterns = [
    path("api-keys/", views.api_key_list, name="api-keys"),
    path("api-keys/<uuid:public_id>/revoke/", views.api_key_revoke_confirm, name="api-key-revoke"),
]
