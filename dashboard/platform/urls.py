"""The platform pages under /platform/ on the base domain (public URLconf only)."""

from django.urls import path

from dashboard.accounts import two_factor_views
from dashboard.accounts.views import login_view
from dashboard.audit import views as audit_views
from dashboard.platform import views

app_name = "platform"
urlpatterns = [
    path("", views.tenant_list, name="tenants"),
    path("login/", login_view, name="login"),
    path("login/code/", two_factor_views.login_code, name="login-code"),
    path("two-factor/", views.two_factor_page, name="two-factor"),
    path("two-factor/start/", two_factor_views.two_factor_start, name="two-factor-start"),
    path("two-factor/confirm/", two_factor_views.two_factor_confirm, name="two-factor-confirm"),
    path(
        "two-factor/disable/", two_factor_views.two_factor_disable_view, name="two-factor-disable"
    ),
    path(
        "two-factor/recovery-codes/",
        two_factor_views.two_factor_recovery,
        name="two-factor-recovery",
    ),
    path("tenants/new/", views.tenant_create, name="tenant-create"),
    path("tenants/<int:tenant_id>/limits/", views.tenant_limits, name="tenant-limits"),
    path("tenants/<int:tenant_id>/suspend/", views.tenant_suspend, name="tenant-suspend"),
    path("tenants/<int:tenant_id>/resume/", views.tenant_resume, name="tenant-resume"),
    path("audit/", audit_views.platform_audit_log, name="audit"),
    path("audit/export.csv", audit_views.platform_audit_export, name="audit-export"),
]
