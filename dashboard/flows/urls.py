"""The flow builder's pages, under /manage/ (namespace ``manage``)."""

from django.urls import path

from dashboard.flows import views

urlpatterns = [
    path("flows/", views.flow_list, name="flows"),
    path("flows/media/", views.flow_media, name="flow-media"),
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
