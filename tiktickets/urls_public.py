"""URLs of the base domain (public schema): the platform admin for super admins."""

from django.urls import path

from core import views
from tenants.admin import platform_admin_site

urlpatterns = [
    path("", views.platform_home, name="platform-home"),
    path("admin/", platform_admin_site.urls),
]

handler400 = "core.views.bad_request"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
