"""The flow builder's pages, under /manage/ (namespace ``manage``)."""

from django.urls import path

from dashboard.flows import import_views, views

urlpatterns = [
    path("flows/", views.flow_list, name="flows"),
    path("flows/media/", views.flow_media, name="flow-media"),
    path("flows/import/", import_views.flow_import, name="flow-import"),
    path("flows/import/confirm/", import_views.flow_import_confirm, name="flow-import-confirm"),
    path("flows/<uuid:public_id>/export/", import_views.flow_export, name="flow-export"),
    path("flows/<uuid:public_id>/", views.flow_edit, name="flow-edit"),
    path("flows/<uuid:public_id>/save/", views.flow_save, name="flow-save"),
    path("flows/<uuid:public_id>/try/", views.flow_try, name="flow-try"),
    path("flows/<uuid:public_id>/duplicate/", views.flow_duplicate, name="flow-duplicate"),
    path("flows/<uuid:public_id>/delete/", views.flow_delete, name="flow-delete"),
    path(
        "flows/<uuid:public_id>/versions/<int:number>/rollback/",
        views.flow_rollback,
        name="flow-rollback",
    ),
]
