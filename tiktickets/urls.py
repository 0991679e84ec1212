"""URLs of a tenant host (<slug>.<base domain>): dashboard pages, Django admin, REST API, web
chat widget."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from dashboard.accounts.views import admin_login_redirect

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api.urls")),
    path("", include("contacts.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("channels_integrations.api.urls")),
    path("", include("automation.api.urls")),
    path("", include("campaigns.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("integrations.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", include("dashboard.urls")),
    # The admin's own sign-in would skip the two-factor step: it sends to ours.
    path("admin/login/", admin_login_redirect),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("widget/", include("channels_integrations.widget_urls")),
    # The compatible external send API (docs/integrations.md).
    path("v1/api/external/", include("integrations.external_urls")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
