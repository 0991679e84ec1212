"""URLs of a tenant host (<slug>.<base domain>): dashboard, tenant admin, REST API."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import manage_urls as accounts_manage
from channels_integrations import manage_urls as connections_manage
from contacts import manage_urls as contacts_manage
from tickets import manage_urls as tickets_manage

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api.urls")),
    path("", include("contacts.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("channels_integrations.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

# Admin pages of every app under /manage/, one namespace: {% url 'manage:queues' %}.
manage: list[URLPattern | URLResolver] = [
    *accounts_manage.urlpatterns,
    *tickets_manage.urlpatterns,
    *contacts_manage.urlpatterns,
    *connections_manage.urlpatterns,
]

urlpatterns = [
    path("", include("tickets.urls")),
    path("contacts/", include("contacts.urls")),
    path("contact-panel/", include("tickets.contact_panel_urls")),
    path("manage/", include((manage, "manage"))),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("widget/", include("channels_integrations.widget_urls")),
]

handler400 = "core.views.bad_request"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
