"""Admin pages for channel connections, their message templates and inbound events (under
/manage/)."""

from django.urls import path

from dashboard.manage import connection_views as views
from dashboard.manage import inbound_views, template_views

urlpatterns = [
    path("connections/", views.connection_list, name="connections"),
    path("connections/new/<slug:provider>/", views.connection_new, name="connection-new"),
    path("connections/<uuid:public_id>/", views.connection_detail, name="connection"),
    path(
        "connections/<uuid:public_id>/<slug:action>/",
        views.connection_action,
        name="connection-action",
    ),
    path("templates/", template_views.template_list, name="templates"),
    path("templates/sync/<uuid:public_id>/", template_views.template_sync, name="templates-sync"),
    path("templates/<uuid:public_id>/", template_views.template_detail, name="template"),
    path(
        "templates/<uuid:public_id>/delete/",
        template_views.template_remove,
        name="template-delete",
    ),
    path("inbound/", inbound_views.inbound_review, name="inbound"),
    path("inbound/retry/", inbound_views.inbound_retry, name="inbound-retry"),
]
