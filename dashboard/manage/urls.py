"""Admin pages for users, queues, quick replies and the tenant's settings (under /manage/)."""

from django.urls import path

from dashboard.audit import views as audit_views
from dashboard.manage import views

urlpatterns = [
    path("", views.manage_index, name="index"),
    path("users/", views.user_list, name="users"),
    path("users/<int:pk>/", views.user_edit, name="user"),
    path("users/<int:pk>/active/", views.user_active, name="user-active"),
    path("users/<int:pk>/password/", views.user_password_reset, name="user-password-reset"),
    path("users/<int:pk>/two-factor/", views.user_two_factor_reset, name="user-two-factor-reset"),
    path("queues/", views.queue_list, name="queues"),
    path("queues/<int:pk>/", views.queue_edit, name="queue"),
    path("queues/<int:pk>/delete/", views.queue_remove, name="queue-delete"),
    path("quick-replies/", views.quick_reply_list, name="quick-replies"),
    path("quick-replies/<int:pk>/", views.quick_reply_edit, name="quick-reply"),
    path("quick-replies/<int:pk>/delete/", views.quick_reply_remove, name="quick-reply-delete"),
    path("settings/", views.tenant_settings, name="settings"),
    path("style/", views.style_guide, name="style"),
    path("audit/", audit_views.tenant_audit_log, name="audit"),
    path("audit/export.csv", audit_views.tenant_audit_export, name="audit-export"),
]
