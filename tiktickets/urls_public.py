"""URLs of the base domain (public schema): the platform pages and admin for super admins, and the
provider webhooks, which find their tenant through tenants.ChannelRoute."""

from django.urls import include, path

from dashboard import views
from dashboard.accounts.views import admin_login_redirect
from tenants.admin import platform_admin_site

urlpatterns = [
    path("", views.platform_home, name="platform-home"),
    path("platform/", include("dashboard.platform.urls")),
    # The admin's own sign-in would skip the two-factor step: it sends to ours.
    path("admin/login/", admin_login_redirect),
    path("admin/", platform_admin_site.urls),
    path("webhooks/", include("channels_integrations.webhook_urls")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
